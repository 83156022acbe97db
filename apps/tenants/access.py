"""The version of a tenant's API access, kept in the shared cache.

Each process may keep the tokens it has checked (apps/tokens/cache.py); before it trusts one it
compares the version it saw with the current one here. Whatever can refuse a token (revoking
it, switching Token Access) or changes what a cached tenant says calls access_changed(), so
every worker of every instance sees the change on its next request.

With the cache unreachable the version is UNKNOWN, which matches nothing: every request
then reads the token from the database, as without a cache.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

UNKNOWN = object()


def version_key(tenant_id: int) -> str:
    """Where the tenant's version is kept in the cache."""
    return f"tenants:access-version:{tenant_id}"


def access_version(tenant_id: int) -> object:
    """The tenant's current version (None if never changed), or UNKNOWN without a cache.

    On Redis (commbox_site.cache) the version is read as plain bytes on a shared client, as
    it is written: every SCIM request reads it."""
    get_text = getattr(cache, "get_text", None)
    try:
        return get_text(version_key(tenant_id)) if get_text else cache.get(version_key(tenant_id))
    except RedisError:
        return UNKNOWN


def access_changed(tenant_id: int) -> None:
    """Give the tenant a new access version now and again once the change is committed."""
    # The second bump closes the gap in which another worker could reload the old rows
    # (the change not yet committed) and file them under the first new version.
    _bump(tenant_id)
    transaction.on_commit(lambda: _bump(tenant_id))


def _bump(tenant_id: int) -> None:
    set_text = getattr(cache, "set_text", None)
    try:
        if set_text:
            set_text(version_key(tenant_id), uuid.uuid4().hex)
        else:
            cache.set(version_key(tenant_id), uuid.uuid4().hex, timeout=None)
    except RedisError as error:
        # The change itself is committed; processes that cached the token trust it for at
        # most TOKEN_CACHE_SECONDS more, and none trusts a cache it cannot read.
        logger.warning("The access version of tenant %s was not changed: %s", tenant_id, error)
