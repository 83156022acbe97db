"""The PostgreSQL backend's health check: no round trip for an idle, open connection."""

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.postgres


@pytest.fixture
def other_connection(db):
    """A second connection to the test database, outside the test's transaction."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def backend_pid(wrapper) -> int:
    return wrapper.connection.info.backend_pid


def last_statement_of(wrapper) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid(wrapper)])
        return cursor.fetchone()[0]


def test_an_idle_open_connection_is_usable_without_a_query(other_connection):
    with other_connection.connection.cursor() as cursor:
        cursor.execute("SELECT 'last statement'")

    assert other_connection.is_usable() is True
    assert last_statement_of(other_connection) == "SELECT 'last statement'"


def test_a_connection_inside_a_transaction_is_checked_with_a_query(other_connection):
    other_connection.connection.execute("BEGIN")

    assert other_connection.is_usable() is True
    assert last_statement_of(other_connection) == "SELECT 1"


def test_a_connection_the_server_terminated_is_not_usable(other_connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid(other_connection)])
    deadline = time.monotonic() + 5
    # The server ends the backend a moment after pg_terminate_backend returns.
    while other_connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.02)

    assert other_connection.is_usable() is False


def test_a_closed_connection_is_not_usable(other_connection):
    other_connection.connection.close()

    assert other_connection.is_usable() is False
