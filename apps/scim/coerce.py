"""Entra's values → plain Python values, in one place.

Entra ID sends booleans as the strings "True"/"False", app roles as JSON strings (or, with
aadOptscim062020, objects), path-less PATCH values with dotted or URN-qualified keys
("name.givenName", "urn:…:enterprise:2.0:User:manager"), managers and members as bare ids,
{"value": id} or [{"value": id}]. Everything here raises ScimError (invalidValue) for a value
it cannot read, so bad input is a SCIM 400, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from apps.scim.exceptions import ScimError
from apps.scim.mapping import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from apps.scim.paths import PatchPath

CORE_SCHEMAS = {CORE_USER.lower(), CORE_GROUP.lower()}


def invalid(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidValue")


def lower_keys(data: dict) -> dict:
    return {str(k).lower(): v for k, v in data.items()}


def as_bool(value: Any, name: str) -> bool:
    """JSON booleans and the strings "True"/"False" (any case) that Entra sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f'"{name}" must be a boolean, not {value!r}.')


def as_string(value: Any, name: str, max_length: int | None = None) -> str:
    """A string attribute; null clears it.

    `max_length` only where no service checks a length: a column's limit is the service's
    to check (apps/users/services.py, apps/groups/services.py).
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f'"{name}" must be a string, not {value!r}.')
    if "\x00" in value or value.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") != value:
        raise invalid(f'"{name}" contains characters that cannot be stored.')
    if max_length and len(value) > max_length:
        raise invalid(f'"{name}" is longer than {max_length} characters.')
    return value


def as_list(value: Any, name: str) -> list:
    """A multi-valued attribute: a list, a single object, or null (= none)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise invalid(f'"{name}" must be a list, not {value!r}.')
    return value


def single_value(value: Any) -> Any:
    """A single value that older clients wrap: [{"value": x}] or {"value": x} → x."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = lower_keys(value).get("value")
    return value


def id_of(value: Any, name: str) -> str | None:
    """A resource id from a bare id, {"value": id} or [{"value": id}]; None when empty.

    Without a value, the id is the last segment of the item's $ref (…/Users/<id>).
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        fields = lower_keys(value)
        value = fields.get("value")
        if value is None and isinstance(fields.get("$ref"), str):
            value = fields["$ref"].split("?")[0].rstrip("/").rpartition("/")[2]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f'"{name}" must be a user id.')
    return as_string(value, name, 100).strip() or None


def ids_of(value: Any, name: str) -> list[str]:
    """Member ids from a list of {"value": id} items (or bare ids); empty values skipped."""
    ids = []
    for item in as_list(value, name):
        if isinstance(item, dict):
            item = lower_keys(item).get("value")
        if item is None or item == "":
            continue
        if not isinstance(item, str):
            raise invalid(f'"{name}": a member value must be a user id string.')
        ids.append(item.strip())
    return ids


def item(raw: Any, name: str, keys: dict[str, str], limits: dict[str, int]) -> dict:
    """A multi-valued item with canonical keys; primary a real boolean; nulls dropped.

    A bare string is the item's value, where the items have one.
    """
    if isinstance(raw, str) and "value" in keys:
        raw = {"value": raw}
    if not isinstance(raw, dict):
        raise invalid(f'Each item of "{name}" must be an object.')
    coerced: dict[str, Any] = {}
    for key, value in lower_keys(raw).items():
        canonical = keys.get(key)
        if canonical is None or value is None:
            continue
        if canonical == "primary":
            coerced[canonical] = as_bool(value, f"{name}.primary")
        else:
            coerced[canonical] = as_string(
                value, f"{name}.{canonical}", limits.get(canonical, 1000)
            )
    return coerced


def role_values(value: Any, name: str) -> list[str]:
    """Role values from roles items; a value may be a JSON string or an object packing one."""
    values = []
    for raw in as_list(value, name):
        role = _unpacked_role(_role_of(raw, name), name)
        if role is None or role == "":
            continue
        if not isinstance(role, str):
            raise invalid(f'"{name}": a role value must be a string.')
        values.append(role)
    return values


def _role_of(raw: Any, name: str) -> Any:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, dict):
        raise invalid(f'Each item of "{name}" must be an object.')
    fields = lower_keys(raw)
    value = fields.get("value")
    return fields.get("display") or fields.get("displayname") if value is None else value


def _unpacked_role(role: Any, name: str) -> Any:
    """{"id", "value", "displayName"}, as an object or a JSON string, → its value."""
    if isinstance(role, str) and role.strip().startswith("{"):
        try:
            role = json.loads(role)
        except ValueError as error:
            raise invalid(f'"{name}": the role value {role!r} is not valid JSON.') from error
        if not isinstance(role, dict):
            raise invalid(f'"{name}": the role value {role!r} is not valid JSON.')
    if isinstance(role, dict):
        packed = lower_keys(role)
        return packed.get("value") or packed.get("displayname")
    return role


def body_paths(body: dict) -> Iterator[tuple[PatchPath, Any]]:
    """(path, value) for each key of a resource body or a path-less PATCH value.

    Keys may be plain ("userName"), dotted ("name.givenName"), URN-qualified
    ("urn:…:enterprise:2.0:User:employeeNumber") or the extension URN holding an object.
    Keys of extensions this server does not store are left out.
    """
    for key, value in body.items():
        key_lower = str(key).lower()
        if key_lower == ENTERPRISE_USER.lower():
            yield from _extension_paths(key, value)
            continue
        if key_lower in CORE_SCHEMAS:
            continue
        if key_lower.startswith("urn:") or key_lower.startswith("http"):
            schema, _, key_lower = key_lower.rpartition(":")
            if schema not in CORE_SCHEMAS and schema != ENTERPRISE_USER.lower():
                continue
        top, _, sub = key_lower.partition(".")
        yield PatchPath(top, sub_attribute=sub or None, text=str(key)), value


def _extension_paths(key: str, value: Any) -> Iterator[tuple[PatchPath, Any]]:
    if isinstance(value, dict):
        yield from body_paths(value)
    elif value is not None:
        raise invalid(f'"{key}" must be an object.')
