"""SCIM JSON ↔ the directory: rendering from the attribute map, selection, request bodies.

Nothing here saves. Output: `render(resource, obj, request)` walks the map (apps.scim.mapping)
and reads each attribute by its kind. Input: a POST/PUT body or a PatchOp body is checked and
handed to the drafts in patch.py, which turn it into service arguments.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from apps.scim.coerce import lower_keys
from apps.scim.exceptions import ScimError
from apps.scim.filters import AttributePath
from apps.scim.mapping import (
    GROUP,
    RESOURCES,
    ROLES,
    SCHEMA_URNS,
    USER,
    Attribute,
    Kind,
    Resource,
)
from apps.scim.schemas import LIST_RESPONSE, PATCH_OP

BLANK: tuple[Any, ...] = ("", None, [], {})
ALWAYS_RETURNED = USER.always_returned()


_PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


@functools.cache
def _path_around_id(url_name: str) -> tuple[str, str]:
    """The URL of `url_name` split around its id: reversed once per process, not per row."""
    before, _, after = reverse(url_name, args=[_PLACEHOLDER_ID]).partition(_PLACEHOLDER_ID)
    return before, after


def location(request, url_name: str, public_id) -> str:
    # The absolute base (scheme and host) is worked out once per request: a page of 100 users
    # carries 100 locations and as many manager and member $refs.
    base = getattr(request, "scim_base_url", None)
    if base is None:
        base = request.scim_base_url = request.build_absolute_uri("/")[:-1]
    before, after = _path_around_id(url_name)
    return f"{base}{before}{public_id}{after}"


def etag(version: int) -> str:
    return f'W/"{version}"'


def _without_blanks(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in BLANK}


# --- model → SCIM, one reader per kind ---


def _read_id(attribute: Attribute, obj, request, resource: Resource):
    return str(obj.public_id)


def _read_meta(attribute: Attribute, obj, request, resource: Resource) -> dict:
    meta = {
        "resourceType": resource.name,
        "created": obj.created_at.isoformat(),
        "lastModified": obj.modified_at.isoformat(),
        "location": location(request, resource.url_name, obj.public_id),
    }
    if hasattr(obj, "version"):
        meta["version"] = etag(obj.version)
    return meta


def _read_simple(attribute: Attribute, obj, request, resource: Resource):
    return attribute.read(obj) if attribute.read else getattr(obj, attribute.field)


def _read_complex(attribute: Attribute, obj, request, resource: Resource) -> dict:
    return _without_blanks({sub.name: getattr(obj, sub.field) for sub in attribute.sub_attributes})


def contact(value: str, kind: str, primary, display: str) -> dict:
    """An emails or phoneNumbers entry as a SCIM item; empty sub-attributes left out."""
    item = {"value": value, "type": kind, "primary": bool(primary), "display": display}
    return {key: value for key, value in item.items() if value != ""}


def _read_contacts(attribute: Attribute, user, request, resource: Resource) -> list[dict]:
    return [contact(*row) for row in user.contacts(attribute.field)]


def _read_addresses(attribute: Attribute, obj, request, resource: Resource) -> list[dict]:
    return getattr(obj, attribute.field)


def _read_roles(attribute: Attribute, user, request, resource: Resource) -> list[dict]:
    """The built-in role and the custom role as roles entries, each with its one value.

    The custom role, when there is one, is primary: it is the app role Entra assigned
    (SingleAppRoleAssignment reads roles[primary eq "True"].value back), and the built-in
    role (agent) follows from it. Without one, the built-in role is primary.
    """
    roles = [
        {
            "value": user.role,
            "display": user.get_role_display(),
            "type": "builtin",
            "primary": not user.custom_role_id,
        }
    ]
    if user.custom_role_id:
        role = user.custom_role
        roles.append({"value": role.value, "display": role.name, "type": "custom", "primary": True})
    return roles


def _read_manager(attribute: Attribute, user, request, resource: Resource) -> dict | None:
    if not user.manager_id:
        return None
    manager = user.manager
    return {
        "value": str(manager.public_id),
        "$ref": location(request, USER.url_name, manager.public_id),
        "displayName": manager.display_name or manager.user_name,
    }


def _read_members(attribute: Attribute, group, request, resource: Resource) -> list[dict]:
    return [
        {
            "value": str(m.user.public_id),
            "display": m.user.user_name,
            "$ref": location(request, USER.url_name, m.user.public_id),
            "type": "User",
        }
        for m in group.memberships.all()
    ]


READERS = {
    Kind.ID: _read_id,
    Kind.META: _read_meta,
    Kind.SIMPLE: _read_simple,
    Kind.COMPLEX: _read_complex,
    Kind.CONTACTS: _read_contacts,
    Kind.ADDRESSES: _read_addresses,
    Kind.ROLES: _read_roles,
    Kind.MANAGER: _read_manager,
    Kind.MEMBERS: _read_members,
}


def render(resource: Resource, obj, request, *, skip: frozenset[str] = frozenset()) -> dict:
    """`obj` as a SCIM resource: every attribute of the map but those in `skip`, blanks left out.

    Related rows (emails, phone numbers, memberships with users) are read through
    `.all()`, so callers prefetch them.
    """
    rendered: dict[str, Any] = {"schemas": list(resource.schemas)}
    for key, attribute, read, extension in _render_plan(resource):
        if skip and key in skip:
            continue
        value = read(attribute, obj, request, resource)
        if value in BLANK and not attribute.keep_empty:
            continue
        target = rendered if extension is None else rendered.setdefault(extension, {})
        target[attribute.name] = value
    return rendered


_RENDER_PLANS: dict[str, tuple] = {}


def _render_plan(resource: Resource) -> tuple:
    """(key, attribute, reader, extension URN or None) for each attribute of the map, worked
    out once per resource type: a page renders the same plan for a hundred rows."""
    plan = _RENDER_PLANS.get(resource.schema)
    if plan is None:
        plan = _RENDER_PLANS[resource.schema] = tuple(
            (
                attribute.key,
                attribute,
                READERS[attribute.kind],
                None if urn == resource.schema else urn,
            )
            for urn, attribute in resource.attributes()
        )
    return plan


WITHOUT_MEMBERS = frozenset({"members"})


def render_user(user, request) -> dict:
    """User → SCIM User with the enterprise extension."""
    return render(USER, user, request)


def render_group(group, request, *, members: bool = True) -> dict:
    """Group → SCIM Group; members only when asked for (then prefetched with their users)."""
    return render(GROUP, group, request, skip=frozenset() if members else WITHOUT_MEMBERS)


def render_role(role, request) -> dict:
    return render(ROLES, role, request)


def list_response(resources: list[dict], *, total: int, start_index: int) -> dict:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# --- attributes / excludedAttributes (RFC 7644 §3.4.2.5) ---

EXTENSION_URNS = {urn for resource in RESOURCES.values() for urn in resource.extensions}


def _split_urn(raw: str) -> tuple[str | None, str]:
    """ "urn:…:enterprise:2.0:User:manager" → (the extension URN, "manager")."""
    for urn in SCHEMA_URNS:
        urn_lower = urn.lower()
        if raw == urn_lower or raw.startswith(urn_lower + ":"):
            return (urn if urn in EXTENSION_URNS else None), raw[len(urn_lower) + 1 :]
    return None, raw


def parse_attribute_list(text: str | None) -> list[AttributePath]:
    """ "userName,name.givenName,urn:…:enterprise:2.0:User:manager" → [AttributePath], names
    lower-cased; the schema is set only for an extension's attributes."""
    paths = []
    for raw in (text or "").split(","):
        raw = raw.strip().lower()
        if raw:
            extension, rest = _split_urn(raw)
            top, _, sub = rest.partition(".")
            paths.append(AttributePath(top, sub or None, extension, text=raw))
    return paths


def requests_attribute(attributes: str | None, excluded: str | None, name: str) -> bool:
    """Whether the response will carry a top-level attribute (so whether to load it)."""
    name = name.lower()
    if attributes:
        return any(
            path.schema is None and path.attribute == name
            for path in parse_attribute_list(attributes)
        )
    return not any(
        path.schema is None and path.attribute == name and path.sub_attribute is None
        for path in parse_attribute_list(excluded)
    )


def _key(container: dict, lower_name: str) -> str | None:
    return next((k for k in container if k.lower() == lower_name), None)


def _sub_only(value, sub: str):
    if isinstance(value, list):
        return [{k: v for k, v in item.items() if k.lower() == sub} for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() == sub}
    return value


def _merge(target: dict, key: str, picked) -> None:
    """Add a picked sub-attribute to what an earlier path already picked of `key`."""
    have = target.get(key)
    if isinstance(picked, list) and isinstance(have, list):
        for item, new in zip(have, picked, strict=False):
            item.update(new)
    elif isinstance(have, dict):
        have.update(picked)
    else:
        target[key] = picked


def _include(result: dict, resource: dict, path: AttributePath) -> None:
    extension, top, sub = path.schema, path.attribute, path.sub_attribute
    if not top:
        if extension and extension in resource:
            result[extension] = copy.deepcopy(resource[extension])
        return
    source = resource.get(extension, {}) if extension else resource
    target = result.setdefault(extension, {}) if extension else result
    key = _key(source, top)
    if key is None or key in ALWAYS_RETURNED:
        return
    value = copy.deepcopy(source[key])
    if sub is None:
        target[key] = value
    else:
        _merge(target, key, _sub_only(value, sub))


def _exclude(result: dict, path: AttributePath) -> None:
    extension, top, sub = path.schema, path.attribute, path.sub_attribute
    container = result.get(extension) if extension else result
    if not isinstance(container, dict):
        return
    if not top:
        result.pop(extension, None)
        return
    key = _key(container, top)
    if key is None or (container is result and key in ALWAYS_RETURNED):
        return
    if sub is None:
        del container[key]
    else:
        _exclude_sub(container[key], sub)


def _exclude_sub(value, sub: str) -> None:
    """Drop the sub-attribute `sub` from a complex value or from each item of a list."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            for name in [name for name in item if name.lower() == sub]:
                del item[name]


def select_attributes(resource: dict, attributes: str | None, excluded: str | None) -> dict:
    """The resource cut down to what attributes / excludedAttributes ask for."""
    if attributes:
        result = {k: resource[k] for k in ALWAYS_RETURNED if k in resource}
        for path in parse_attribute_list(attributes):
            _include(result, resource, path)
        return {k: v for k, v in result.items() if v != {} or k not in SCHEMA_URNS}
    if not excluded:
        return resource
    result = copy.deepcopy(resource)
    for path in parse_attribute_list(excluded):
        _exclude(result, path)
    return result


# --- input ---


@dataclass(frozen=True)
class PatchOperation:
    """One operation of a PatchOp body, op lower-cased and path stripped (RFC 7644 §3.5.2)."""

    op: str
    path: str | None
    value: Any
    has_value: bool


def _syntax(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidSyntax")


class ResourceSerializer(serializers.Serializer):
    """A POST/PUT body: a JSON object; the resource's own attributes are read by patch.py."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise _syntax("The body must be a JSON object.")
        return data


def _check_patch_schemas(schemas: Any) -> None:
    if schemas is not None and (
        not isinstance(schemas, list) or PATCH_OP.lower() not in [str(s).lower() for s in schemas]
    ):
        raise _syntax(f'A PATCH body must list the schema "{PATCH_OP}".')


def _op_of(number: int, raw: dict) -> str:
    op = str(raw.get("op") or "").strip().lower()
    if op not in ("add", "replace", "remove"):
        raise _syntax(
            f'Operation {number}: "op" must be add, replace or remove, not {raw.get("op")!r}.'
        )
    return op


def _path_of(number: int, raw: dict) -> str | None:
    path = raw.get("path")
    if path is not None and not isinstance(path, str):
        raise ScimError(f'Operation {number}: "path" must be a string.', scim_type="invalidPath")
    return (path or "").strip() or None


def _operation(number: int, raw: Any) -> PatchOperation:
    if not isinstance(raw, dict):
        raise _syntax(f"Operation {number} is not an object.")
    raw = lower_keys(raw)
    op, path = _op_of(number, raw), _path_of(number, raw)
    if op != "remove" and "value" not in raw:
        raise _syntax(f'Operation {number}: "{op}" needs a "value".')
    if path is None and op == "remove":
        raise ScimError(f'Operation {number}: "remove" needs a "path".', scim_type="noTarget")
    if path is None and not isinstance(raw.get("value"), dict):
        raise ScimError(
            f'Operation {number}: without a "path" the value must be an object of attributes.',
            scim_type="invalidValue",
        )
    return PatchOperation(op, path, raw.get("value"), "value" in raw)


class PatchOpSerializer(serializers.Serializer):
    """A PatchOp body → [PatchOperation] (RFC 7644 §3.5.2)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise _syntax("The body must be a JSON object.")
        data = lower_keys(data)
        _check_patch_schemas(data.get("schemas"))
        operations = data.get("operations")
        if not isinstance(operations, list) or not operations:
            raise _syntax('A PATCH body needs a non-empty "Operations" list.')
        limit = settings.SCIM_MAX_PATCH_OPERATIONS
        if len(operations) > limit:
            # 20,000 role operations kept a worker past gunicorn's timeout: each one
            # resolves roles in the database, so the body size alone bounds nothing.
            raise ScimError(
                f"A PATCH body holds at most {limit} operations, not {len(operations)}; "
                "send the rest in another request.",
                scim_type="invalidValue",
            )
        return [_operation(number, raw) for number, raw in enumerate(operations, start=1)]
