"""The per-process token cache: bounded, and invalidated by the tenant's access version."""

import pytest

from apps.tenants.access import access_changed
from apps.tokens.cache import TokenCache
from apps.tokens.models import ApiToken
from apps.tokens.services import create_token


@pytest.fixture
def loads():
    """A loader for TokenCache.find that notes every digest it reads from the database."""
    read = []

    def load(digest):
        read.append(digest)
        return ApiToken.objects.select_related("tenant").filter(digest=digest).first()

    load.read = read
    return load


@pytest.fixture
def three_tokens(tenant, tenant_admin):
    return [
        create_token(tenant=tenant, actor=tenant_admin, description=f"Entra {n}")[0]
        for n in range(3)
    ]


def test_the_cache_keeps_at_most_its_maximum_of_tokens(three_tokens, loads):
    token_cache = TokenCache(max_entries=2)

    for token in three_tokens:
        token_cache.find(token.digest, loads)

    assert len(token_cache) == 2


def test_the_least_recently_used_token_is_the_one_dropped(three_tokens, loads):
    token_cache = TokenCache(max_entries=2)
    first, second, third = (token.digest for token in three_tokens)

    for digest in (first, second, first, third):
        token_cache.find(digest, loads)

    assert [digest in token_cache for digest in (first, second, third)] == [True, False, True]


def test_a_known_token_is_served_without_reading_the_database(api_token, loads):
    token_cache = TokenCache()
    digest = api_token[0].digest
    for _ in range(2):  # the first notes its ids, the second loads it under the version
        token_cache.find(digest, loads)
    loads.read.clear()

    token = token_cache.find(digest, loads)

    assert token == api_token[0]
    assert loads.read == []


def test_an_access_version_change_makes_the_cache_read_the_token_again(
    tenant, api_token, loads, django_capture_on_commit_callbacks
):
    token_cache = TokenCache()
    digest = api_token[0].digest
    for _ in range(2):
        token_cache.find(digest, loads)
    loads.read.clear()
    with django_capture_on_commit_callbacks(execute=True):
        access_changed(tenant.pk)

    token_cache.find(digest, loads)

    assert loads.read == [digest]


def test_an_unknown_digest_is_not_kept(db, loads):
    token_cache = TokenCache()

    token_cache.find("0" * 64, loads)

    assert len(token_cache) == 0
