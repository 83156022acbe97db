import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from apps.tokens.models import ApiToken

# SQLite's shared-cache test database cannot run two writers at once; PostgreSQL can.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_submissions_of_one_form_create_one_token(tenant_admin):
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        client = Client()
        client.force_login(tenant_admin)
        barrier.wait()
        response = client.post(reverse("tokens:create"), {"nonce": "d" * 43})
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 302]
    assert ApiToken.objects.count() == 1
