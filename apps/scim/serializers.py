"""SCIM JSON ↔ the directory: the attribute mapping, output shapes and input normalisation.

Nothing here saves: input becomes service arguments (see patch.py for the working copy that
PATCH, POST and PUT edit), output maps a model to its SCIM resource.
"""

from __future__ import annotations

import copy

from django.urls import reverse
from rest_framework import serializers

from apps.scim.coerce import lower_keys
from apps.scim.exceptions import ScimError
from apps.scim.patch import PatchOperation, contact_item
from apps.scim.schemas import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    LIST_RESPONSE,
    PATCH_OP,
    ROLE,
)

ALWAYS_RETURNED = ("schemas", "id")


def _location(request, name: str, public_id) -> str:
    return request.build_absolute_uri(reverse(name, args=[str(public_id)]))


def etag(version: int) -> str:
    return f'W/"{version}"'


def _meta(request, resource_type: str, obj, url_name: str) -> dict:
    meta = {
        "resourceType": resource_type,
        "created": obj.created_at.isoformat(),
        "lastModified": obj.modified_at.isoformat(),
        "location": _location(request, url_name, obj.public_id),
    }
    if hasattr(obj, "version"):
        meta["version"] = etag(obj.version)
    return meta


def _without_blanks(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}


class UserSerializer(serializers.Serializer):
    """User → SCIM User with the enterprise extension (emails/phone_numbers prefetched)."""

    def to_representation(self, user) -> dict:
        request = self.context["request"]
        name = _without_blanks(
            {
                "formatted": user.name_formatted,
                "familyName": user.family_name,
                "givenName": user.given_name,
                "middleName": user.middle_name,
                "honorificPrefix": user.honorific_prefix,
                "honorificSuffix": user.honorific_suffix,
            }
        )
        enterprise = _without_blanks(
            {
                "employeeNumber": user.employee_number,
                "costCenter": user.cost_center,
                "organization": user.organization,
                "division": user.division,
                "department": user.department,
            }
        )
        if user.manager_id:
            enterprise["manager"] = {
                "value": str(user.manager.public_id),
                "$ref": _location(request, "scim:user", user.manager.public_id),
                "displayName": user.manager.display_name or user.manager.user_name,
            }
        resource = {
            "schemas": [CORE_USER, ENTERPRISE_USER],
            "id": str(user.public_id),
            "externalId": user.external_id,
            "userName": user.user_name,
            "name": name,
            "displayName": user.display_name,
            "nickName": user.nick_name,
            "profileUrl": user.profile_url,
            "title": user.title,
            "userType": user.user_type,
            "preferredLanguage": user.preferred_language,
            "locale": user.locale,
            "timezone": user.timezone,
            "active": user.is_active,
            "emails": [contact_item(e) for e in user.emails.all()],
            "phoneNumbers": [contact_item(p) for p in user.phone_numbers.all()],
            "addresses": user.addresses,
            "roles": user_roles(user),
            ENTERPRISE_USER: enterprise,
            "meta": _meta(request, "User", user, "scim:user"),
        }
        resource = {k: v for k, v in resource.items() if v not in ("", None, [], {})}
        resource["active"] = user.is_active
        return resource


def user_roles(user) -> list[dict]:
    """The built-in role and the custom role as roles entries; the most specific is primary."""
    roles = [
        {
            "value": user.role,
            "display": user.get_role_display(),
            "type": "builtin",
            "primary": not user.custom_role_id,
        }
    ]
    if user.custom_role_id:
        roles.append(
            {
                "value": user.custom_role.name,
                "display": user.custom_role.name,
                "type": "custom",
                "primary": True,
            }
        )
    return roles


class GroupSerializer(serializers.Serializer):
    """Group → SCIM Group; members only when context["members"] (prefetched with users)."""

    def to_representation(self, group) -> dict:
        request = self.context["request"]
        resource = {
            "schemas": [CORE_GROUP],
            "id": str(group.public_id),
            "displayName": group.display_name,
        }
        if group.external_id:
            resource["externalId"] = group.external_id
        if self.context.get("members", True):
            resource["members"] = [
                {
                    "value": str(m.user.public_id),
                    "display": m.user.user_name,
                    "$ref": _location(request, "scim:user", m.user.public_id),
                    "type": "User",
                }
                for m in group.memberships.all()
            ]
        resource["meta"] = _meta(request, "Group", group, "scim:group")
        return resource


class RoleSerializer(serializers.Serializer):
    def to_representation(self, role) -> dict:
        request = self.context["request"]
        return _without_blanks(
            {
                "schemas": [ROLE],
                "id": str(role.public_id),
                "displayName": role.name,
                "value": role.value,
                "description": role.description,
                "type": "builtin" if role.is_builtin else "custom",
                "meta": {
                    "resourceType": "Role",
                    "created": role.created_at.isoformat(),
                    "lastModified": role.modified_at.isoformat(),
                    "location": _location(request, "scim:role", role.public_id),
                },
            }
        )


def list_response(resources: list[dict], *, total: int, start_index: int) -> dict:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# --- attributes / excludedAttributes (RFC 7644 §3.4.2.5) ---

SCHEMA_PREFIXES = (CORE_USER, CORE_GROUP, ROLE, ENTERPRISE_USER)


def parse_attribute_list(text: str | None) -> list[tuple[str | None, str, str | None]]:
    """ "userName,name.givenName,urn:…:enterprise:2.0:User:manager" → [(extension, top, sub)]."""
    paths = []
    for raw in (text or "").split(","):
        raw = raw.strip().lower()
        if not raw:
            continue
        extension = None
        for prefix in SCHEMA_PREFIXES:
            prefix_lower = prefix.lower()
            if raw == prefix_lower:
                raw = ""
                extension = prefix if prefix == ENTERPRISE_USER else None
                break
            if raw.startswith(prefix_lower + ":"):
                raw = raw[len(prefix_lower) + 1 :]
                extension = prefix if prefix == ENTERPRISE_USER else None
                break
        top, _, sub = raw.partition(".")
        paths.append((extension, top, sub or None))
    return paths


def requests_attribute(attributes: str | None, excluded: str | None, name: str) -> bool:
    """Whether the response will carry a top-level attribute (so whether to load it)."""
    name = name.lower()
    if attributes:
        return any(ext is None and top == name for ext, top, _ in parse_attribute_list(attributes))
    return not any(
        ext is None and top == name and sub is None
        for ext, top, sub in parse_attribute_list(excluded)
    )


def _key(container: dict, lower_name: str) -> str | None:
    return next((k for k in container if k.lower() == lower_name), None)


def _sub_only(value, sub: str):
    if isinstance(value, list):
        return [{k: v for k, v in item.items() if k.lower() == sub} for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() == sub}
    return value


def select_attributes(resource: dict, attributes: str | None, excluded: str | None) -> dict:
    """The resource cut down to what attributes / excludedAttributes ask for."""
    if attributes:
        result = {k: resource[k] for k in ALWAYS_RETURNED if k in resource}
        for extension, top, sub in parse_attribute_list(attributes):
            source = resource.get(extension, {}) if extension else resource
            target = result.setdefault(extension, {}) if extension else result
            if not top:
                if extension and extension in resource:
                    result[extension] = copy.deepcopy(resource[extension])
                continue
            key = _key(source, top)
            if key is None or key in ALWAYS_RETURNED:
                continue
            value = copy.deepcopy(source[key])
            if sub is None:
                target[key] = value
            elif isinstance(value, list) and isinstance(target.get(key), list):
                for have, new in zip(target[key], _sub_only(value, sub), strict=False):
                    have.update(new)
            elif isinstance(target.get(key), dict):
                target[key].update(_sub_only(value, sub))
            else:
                target[key] = _sub_only(value, sub)
        return {k: v for k, v in result.items() if v != {} or k not in SCHEMA_PREFIXES}
    if not excluded:
        return resource
    result = copy.deepcopy(resource)
    for extension, top, sub in parse_attribute_list(excluded):
        container = result.get(extension) if extension else result
        if not isinstance(container, dict):
            continue
        if not top:
            result.pop(extension, None)
            continue
        key = _key(container, top)
        if key is None or (container is result and key in ALWAYS_RETURNED):
            continue
        if sub is None:
            del container[key]
        else:
            items = container[key] if isinstance(container[key], list) else [container[key]]
            for item in items:
                if isinstance(item, dict):
                    for k in [k for k in item if k.lower() == sub]:
                        del item[k]
    return result


# --- input ---


class ResourceSerializer(serializers.Serializer):
    """A POST/PUT body: a JSON object; the resource's own attributes are read by patch.py."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
        return data


class PatchOpSerializer(serializers.Serializer):
    """A PatchOp body → [PatchOperation] with op lower-cased and path stripped (RFC 7644 §3.5.2)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
        data = lower_keys(data)
        schemas = data.get("schemas")
        if schemas is not None and (
            not isinstance(schemas, list)
            or PATCH_OP.lower() not in [str(s).lower() for s in schemas]
        ):
            raise ScimError(
                f'A PATCH body must list the schema "{PATCH_OP}".', scim_type="invalidSyntax"
            )
        operations = data.get("operations")
        if not isinstance(operations, list) or not operations:
            raise ScimError(
                'A PATCH body needs a non-empty "Operations" list.', scim_type="invalidSyntax"
            )
        normalised = []
        for number, raw in enumerate(operations, start=1):
            if not isinstance(raw, dict):
                raise ScimError(f"Operation {number} is not an object.", scim_type="invalidSyntax")
            raw = lower_keys(raw)
            op = str(raw.get("op") or "").strip().lower()
            if op not in ("add", "replace", "remove"):
                raise ScimError(
                    f'Operation {number}: "op" must be add, replace or remove, not '
                    f"{raw.get('op')!r}.",
                    scim_type="invalidSyntax",
                )
            path = raw.get("path")
            if path is not None and not isinstance(path, str):
                raise ScimError(
                    f'Operation {number}: "path" must be a string.', scim_type="invalidPath"
                )
            path = (path or "").strip() or None
            if op != "remove" and "value" not in raw:
                raise ScimError(
                    f'Operation {number}: "{op}" needs a "value".', scim_type="invalidSyntax"
                )
            if path is None and op == "remove":
                raise ScimError(
                    f'Operation {number}: "remove" needs a "path".', scim_type="noTarget"
                )
            if path is None and not isinstance(raw.get("value"), dict):
                raise ScimError(
                    f'Operation {number}: without a "path" the value must be an object of '
                    "attributes.",
                    scim_type="invalidValue",
                )
            normalised.append(PatchOperation(op, path, raw.get("value"), "value" in raw))
        return normalised
