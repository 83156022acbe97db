"""Concurrent creates on PostgreSQL (deselected on other databases by tests/conftest.py)."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.users.models import User
from tests.scim.entra import SCIM, entra_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def create_concurrently(secret: str, bodies: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    statuses = []

    def create(body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait()
            response = client.post("/scim/v2/Users", json.dumps(body), content_type=SCIM)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_concurrent_creates_of_one_user_name_make_exactly_one_user(tenant, api_token):
    bodies = [entra_user("race@contoso.com") for _ in range(THREADS)]

    statuses = create_concurrently(api_token[1], bodies)

    assert statuses == [201] + [409] * (THREADS - 1)
    assert User.objects.filter(tenant=tenant, user_name__iexact="race@contoso.com").count() == 1


def test_concurrent_creates_differing_in_case_make_exactly_one_user(tenant, api_token):
    names = ["race@contoso.com", "RACE@contoso.com", "Race@Contoso.com", "race@CONTOSO.COM"]

    statuses = create_concurrently(api_token[1], [entra_user(name) for name in names])

    assert statuses == [201, 409, 409, 409]
    assert User.objects.filter(tenant=tenant, user_name__iexact="race@contoso.com").count() == 1
