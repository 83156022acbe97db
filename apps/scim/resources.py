"""The user or group a SCIM URL names, scoped to the token's account, and its version."""

from __future__ import annotations

import uuid

from rest_framework import status
from rest_framework.response import Response

from apps.groups.models import Group
from apps.scim.exceptions import ScimError
from apps.scim.prepared_lookups import USER_COLUMNS, group_by_id, user_by_id
from apps.scim.serializers import etag
from apps.users.models import User

# The user's columns SCIM reads, and of the manager only what the manager attribute shows.
USER_FIELDS = (
    *USER_COLUMNS,
    "manager__public_id",
    "manager__user_name",
    "manager__display_name",
)


def resource_uuid(resource_id: str, kind: str) -> uuid.UUID:
    """Ids are UUIDs; anything else names no resource (404)."""
    try:
        return uuid.UUID(str(resource_id))
    except ValueError:
        raise ScimError(f'No {kind} with id "{resource_id}".', status_code=404) from None


def scim_users(tenant):
    return User.objects.for_scim(tenant, fields=USER_FIELDS)


def get_user(tenant, user_id: str, *, lock: bool = False) -> User:
    """The tenant's user with this id, else 404; `lock` holds its row to the transaction's end."""
    return user_by_id(tenant, resource_uuid(user_id, "User"), lock=lock)


def get_group(tenant, group_id: str, *, members: bool = False, lock: bool = False) -> Group:
    """The tenant's group with this id, else 404; `members` loads them, `lock` holds the row."""
    return group_by_id(tenant, resource_uuid(group_id, "Group"), lock=lock, members=members)


def check_if_match(request, version: int) -> None:
    """Honour If-Match (RFC 7644 §3.14): "*" or the current ETag, else 412."""
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = {tag.strip() for tag in header.split(",")}
    if "*" in tags or tags & {etag(version), f'"{version}"'}:
        return
    raise ScimError(
        f"The resource has changed: its version is {etag(version)}, not {header}. "
        "Read it again and retry.",
        status_code=status.HTTP_412_PRECONDITION_FAILED,
    )


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response
