"""Working copies that POST, PUT and PATCH edit before one service call saves them.

A UserDraft holds a user's state in service terms (the User fields of
serializers.USER_ATTRIBUTES); each SCIM operation edits the draft, and
`changes()` gives what changed for one users.services.update_user call. A GroupDraft
holds the name and the ordered member changes for the group services. An operation
that fails raises before anything is saved, and the views save inside one transaction,
so a request applies all or nothing.
"""

from __future__ import annotations

import json
from typing import Any

from apps.roles.services import assignment_for, find_roles
from apps.scim import filters
from apps.scim.exceptions import ScimError
from apps.scim.paths import matches, parse_path
from apps.scim.schemas import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from apps.scim.serializers import (
    ADDRESS_KEYS,
    MULTI_KEYS,
    USER_ATTRIBUTES,
    USER_IGNORED,
    USER_INPUT,
    PatchOperation,
    as_bool,
    as_list,
    as_string,
    lower_keys,
)
from apps.users.models import User, UserEmail, UserPhoneNumber
from apps.users.services import MULTI_VALUED, SCALAR_FIELDS, resolve_manager

STRING_LIMITS = {
    field: User._meta.get_field(field).max_length
    for field in SCALAR_FIELDS
    if hasattr(User._meta.get_field(field), "max_length") and field != "addresses"
}
# Longest value per sub-attribute of emails and phoneNumbers rows (addresses are JSON).
ITEM_LIMITS = {
    model: {name: model._meta.get_field(name).max_length for name in ("value", "type", "display")}
    for model in (UserEmail, UserPhoneNumber)
}
CORE_SCHEMAS = {CORE_USER.lower(), CORE_GROUP.lower()}
KNOWN_SCHEMAS = {*CORE_SCHEMAS, ENTERPRISE_USER.lower()}
ENTERPRISE_ATTRIBUTES = {
    scim for schema, scim, _, _ in USER_ATTRIBUTES if schema == ENTERPRISE_USER
}


class Path:
    """A target inside a resource: attribute, optional value filter, optional sub-attribute."""

    __slots__ = ("attribute", "value_filter", "sub_attribute", "text")

    def __init__(
        self, attribute: str, value_filter=None, sub_attribute: str | None = None, text: str = ""
    ):
        self.attribute = attribute
        self.value_filter = value_filter
        self.sub_attribute = sub_attribute
        self.text = text or attribute

    @classmethod
    def parse(cls, text: str) -> Path | None:
        """A PATCH path; None for an extension schema this server does not store."""
        parsed = parse_path(text)
        if parsed.schema and parsed.schema.lower() not in KNOWN_SCHEMAS:
            return None
        return cls(parsed.attribute, parsed.value_filter, parsed.sub_attribute, text)


def body_paths(body: dict):
    """(Path, value) for each key of a resource body or a path-less PATCH value.

    Keys may be plain ("userName"), dotted ("name.givenName"), URN-qualified
    ("urn:…:enterprise:2.0:User:employeeNumber") or the extension URN holding an object.
    """
    for key, value in body.items():
        key_lower = str(key).lower()
        if key_lower == ENTERPRISE_USER.lower():
            if isinstance(value, dict):
                yield from body_paths(value)
            elif value is not None:
                raise ScimError(f'"{key}" must be an object.', scim_type="invalidValue")
            continue
        if key_lower in CORE_SCHEMAS:
            continue
        if key_lower.startswith("urn:") or key_lower.startswith("http"):
            schema, _, name = key_lower.rpartition(":")
            if schema not in CORE_SCHEMAS and schema != ENTERPRISE_USER.lower():
                continue  # an extension this server does not store
            key_lower = name
        top, _, sub = key_lower.partition(".")
        yield Path(top, None, sub or None, str(key)), value


def _eq_terms(node) -> dict[str, Any]:
    """{sub-attribute: value} for the `eq` comparisons of a value filter joined by `and`."""
    if isinstance(node, filters.Comparison) and node.operator == "eq":
        return {node.path.attribute: node.value}
    if isinstance(node, filters.And):
        return {**_eq_terms(node.left), **_eq_terms(node.right)}
    return {}


def _matching(items: list[dict], value_filter) -> list[int]:
    return [i for i, item in enumerate(items) if matches(value_filter, item)]


def _multi_item(raw: Any, name: str, keys: dict[str, str], limits: dict | None = None) -> dict:
    """A multi-valued item with canonical keys; primary as a real boolean; nulls dropped."""
    if not isinstance(raw, dict):
        if isinstance(raw, str) and keys is MULTI_KEYS:
            raw = {"value": raw}
        else:
            raise ScimError(f'Each item of "{name}" must be an object.', scim_type="invalidValue")
    item = {}
    for key, value in lower_keys(raw).items():
        canonical = keys.get(key)
        if canonical is None or value is None:
            continue
        if canonical == "primary":
            item[canonical] = as_bool(value, f"{name}.primary")
        else:
            limit = (limits or {}).get(canonical, 1000)
            item[canonical] = as_string(value, f"{name}.{canonical}", limit)
    return item


def _item_value(item: dict) -> str:
    return str(item.get("value", "")).lower()


def _same_item(have: dict, new: dict) -> bool:
    if new.get("type"):
        return str(have.get("type", "")).lower() == new["type"].lower()
    return not have.get("type") and _item_value(have) == _item_value(new)


class UserDraft:
    """A user's state in service terms, edited by SCIM operations."""

    def __init__(self, tenant, user: User | None = None):
        self.tenant = tenant
        self.roles_given = False
        self.values: dict[str, Any] = {field: "" for field in SCALAR_FIELDS}
        self.values.update(
            is_active=True,
            addresses=[],
            emails=[],
            phone_numbers=[],
            manager=None,
            role=None,
            custom_role=None,
        )
        if user is not None:
            self.values.update({field: getattr(user, field) for field in SCALAR_FIELDS})
            self.values.update(
                addresses=[dict(a) for a in user.addresses],
                emails=[self._row(e) for e in user.emails.all()],
                phone_numbers=[self._row(p) for p in user.phone_numbers.all()],
                manager=user.manager if user.manager_id else None,
                role=user.role,
                custom_role=user.custom_role if user.custom_role_id else None,
            )
        self.original = {k: (list(v) if isinstance(v, list) else v) for k, v in self.values.items()}

    @staticmethod
    def _row(row) -> dict:
        item = {"value": row.value, "primary": row.primary}
        if row.type:
            item["type"] = row.type
        if row.display:
            item["display"] = row.display
        return item

    # --- whole resources (POST, PUT) and path-less PATCH values ---

    def apply_resource(self, body: dict) -> None:
        for path, value in body_paths(body):
            if path.attribute in USER_IGNORED:
                continue
            self.apply("replace", path, value, has_value=True)

    def apply_operation(self, operation: PatchOperation) -> None:
        if operation.path is None:
            for path, value in body_paths(operation.value):
                if path.attribute in USER_IGNORED:
                    continue
                self.apply(operation.op, path, value, has_value=True)
            return
        if operation.path.lower() == ENTERPRISE_USER.lower():
            self._apply_extension(operation)
            return
        path = Path.parse(operation.path)
        if path is None:
            return
        if path.attribute in USER_IGNORED:
            raise ScimError(
                f'"{operation.path}" is read-only or not stored.', scim_type="mutability"
            )
        self.apply(operation.op, path, operation.value, has_value=operation.has_value)

    def _apply_extension(self, operation: PatchOperation) -> None:
        """The path is the enterprise URN itself: remove clears it, add/replace sets its keys."""
        if operation.op == "remove":
            for _, scim, field, kind in USER_ATTRIBUTES:
                if scim in ENTERPRISE_ATTRIBUTES:
                    self.values[field] = None if kind == "manager" else ""
            return
        if not isinstance(operation.value, dict):
            raise ScimError(f'"{operation.path}" takes an object.', scim_type="invalidValue")
        for path, value in body_paths(operation.value):
            self.apply(operation.op, path, value, has_value=True)

    def apply(self, op: str, path: Path, value: Any, *, has_value: bool) -> None:
        name = f"{path.attribute}.{path.sub_attribute}" if path.sub_attribute else path.attribute
        if path.attribute == "name" and path.sub_attribute is None and path.value_filter is None:
            if op == "remove" or value is None:
                for key in [k for k in USER_INPUT if k.startswith("name.")]:
                    self.values[USER_INPUT[key][0]] = ""
                return
            if not isinstance(value, dict):
                raise ScimError('"name" must be an object.', scim_type="invalidValue")
            for sub, sub_value in lower_keys(value).items():
                if f"name.{sub}" in USER_INPUT:
                    self.apply(op, Path("name", None, sub), sub_value, has_value=True)
            return
        entry = USER_INPUT.get(name) or USER_INPUT.get(path.attribute)
        if entry is None:
            if path.value_filter is None:
                return  # an attribute this server does not store: ignored, as Entra expects
            raise ScimError(f'"{path.text}" is not an attribute of User.', scim_type="invalidPath")
        field, kind = entry
        if kind in ("string", "boolean"):
            if path.value_filter is not None or (
                USER_INPUT.get(name) is None and path.sub_attribute is not None
            ):
                raise ScimError(f'"{path.text}" has no sub-attributes.', scim_type="invalidPath")
            if op == "remove":
                self.values[field] = True if kind == "boolean" else ""
            elif kind == "boolean":
                self.values[field] = True if value is None else as_bool(value, path.text)
            else:
                self.values[field] = as_string(value, path.text, STRING_LIMITS.get(field))
            return
        if kind == "multi":
            self._apply_multi(field, MULTI_KEYS, op, path, value, has_value)
        elif kind == "addresses":
            self._apply_multi(field, ADDRESS_KEYS, op, path, value, has_value)
        elif kind == "manager":
            self._apply_manager(op, path, value)
        elif kind == "roles":
            self._apply_roles(op, path, value, has_value)

    # --- emails, phoneNumbers, addresses ---

    def _apply_multi(self, field, keys, op, path: Path, value, has_value) -> None:
        items: list[dict] = [dict(i) for i in self.values[field]]
        limits = ITEM_LIMITS.get(MULTI_VALUED.get(field))
        sub = keys.get(path.sub_attribute) if path.sub_attribute else None
        if path.sub_attribute and sub is None:
            raise ScimError(f'"{path.text}": unknown sub-attribute.', scim_type="invalidPath")
        if path.value_filter is None and sub is None:
            new = [_multi_item(v, path.text, keys, limits) for v in as_list(value, path.text)]
            new = [i for i in new if i]
            if op == "replace":
                items = new
            elif op == "add":
                for item in new:
                    # One item per type (Entra expects one work email): a typed item
                    # replaces the item of its type, an untyped one merges with its value.
                    same = next((i for i in items if _same_item(i, item)), None)
                    if same is not None:
                        same.update(item)
                    else:
                        items.append(item)
            elif has_value and new:
                drop = {_item_value(i) for i in new}
                items = [i for i in items if _item_value(i) not in drop]
            else:
                items = []
        else:
            targets = (
                _matching(items, path.value_filter)
                if path.value_filter is not None
                else list(range(len(items)))
            )
            if op == "remove":
                if sub is None or sub == "value":
                    items = [i for n, i in enumerate(items) if n not in targets]
                else:
                    for n in targets:
                        items[n].pop(sub, None)
            else:
                if sub is None:
                    update = _multi_item(value, path.text, keys, limits)
                else:
                    update = (
                        _multi_item({sub: value}, path.text, keys, limits)
                        if value is not None
                        else {}
                    )
                    if value is None or value == "":
                        # Setting the value to null or "" clears the matching items.
                        if sub == "value":
                            items = [i for n, i in enumerate(items) if n not in targets]
                        else:
                            for n in targets:
                                items[n].pop(sub, None)
                        self._store_multi(field, items)
                        return
                if targets:
                    for n in targets:
                        items[n].update(update)
                else:
                    # Nothing matches `emails[type eq "work"]`: Entra means "set the work email".
                    created = (
                        {
                            keys[k.lower()]: v
                            for k, v in _eq_terms(path.value_filter).items()
                            if k.lower() in keys and isinstance(v, str | bool)
                        }
                        if path.value_filter is not None
                        else {}
                    )
                    created.update(update)
                    items.append(_multi_item(created, path.text, keys, limits))
        self._store_multi(field, items)

    def _store_multi(self, field: str, items: list[dict]) -> None:
        if any(i.get("primary") for i in items):
            # At most one primary (RFC 7643 §2.4): the last one set wins.
            last = max(n for n, i in enumerate(items) if i.get("primary"))
            for n, item in enumerate(items):
                if item.get("primary") and n != last:
                    item["primary"] = False
        self.values[field] = items

    # --- manager ---

    def _manager_id(self, value: Any, text: str) -> str | None:
        """The manager id in every form Entra sends: bare id, {"value": id}, [{"value": id}]."""
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = lower_keys(value).get("value")
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ScimError(f'"{text}" must be a user id.', scim_type="invalidValue")
        return as_string(value, text, 100).strip() or None

    def _apply_manager(self, op: str, path: Path, value: Any) -> None:
        if path.sub_attribute not in (None, "value"):
            if path.sub_attribute in ("displayname", "$ref"):
                return  # derived from the manager; nothing to store
            raise ScimError(f'"{path.text}": unknown sub-attribute.', scim_type="invalidPath")
        if op == "remove":
            current = self.values["manager"]
            if path.value_filter is None or (
                current is not None
                and matches(
                    path.value_filter,
                    {
                        "value": str(current.public_id),
                        "displayName": current.display_name,
                    },
                )
            ):
                self.values["manager"] = None
            return
        manager_id = self._manager_id(value, path.text)
        if manager_id is None:
            self.values["manager"] = None
            return
        current = self.values["manager"]
        if current is not None and str(current.public_id) == manager_id.lower():
            return
        self.values["manager"] = resolve_manager(self.tenant, manager_id)

    # --- roles ---

    def _role_values(self, value: Any, text: str) -> list[str]:
        """Role values from items; a value may be a JSON string holding id, value, displayName."""
        values = []
        for item in as_list(value, text):
            if isinstance(item, str):
                raw = item
            elif isinstance(item, dict):
                fields = lower_keys(item)
                raw = fields.get("value")
                if raw is None:
                    raw = fields.get("display") or fields.get("displayname")
            else:
                raise ScimError(
                    f'Each item of "{text}" must be an object.', scim_type="invalidValue"
                )
            if isinstance(raw, dict):
                # With aadOptscim062020 the app role arrives as an object, not a JSON string.
                packed = lower_keys(raw)
                raw = packed.get("value") or packed.get("displayname")
            elif isinstance(raw, str) and raw.strip().startswith("{"):
                try:
                    packed = lower_keys(json.loads(raw))
                except (ValueError, AttributeError) as error:
                    raise ScimError(
                        f'"{text}": the role value {raw!r} is not valid JSON.',
                        scim_type="invalidValue",
                    ) from error
                raw = packed.get("value") or packed.get("displayname")
            if raw is None or raw == "":
                continue
            if not isinstance(raw, str):
                raise ScimError(
                    f'"{text}": a role value must be a string.', scim_type="invalidValue"
                )
            values.append(raw)
        return values

    def _current_roles(self) -> list:
        roles = []
        if self.values["role"]:
            roles.extend(find_roles(tenant=self.tenant, values=[self.values["role"]]))
        if self.values["custom_role"] is not None:
            roles.append(self.values["custom_role"])
        return roles

    def _assign(self, roles) -> None:
        self.values["role"], self.values["custom_role"] = assignment_for(
            tenant=self.tenant, roles=roles
        )
        self.roles_given = True

    def _apply_roles(self, op: str, path: Path, value: Any, has_value: bool) -> None:
        if path.value_filter is not None or path.sub_attribute is not None:
            # roles[primary eq "True"].value (SingleAppRoleAssignment): the one assigned role.
            if path.sub_attribute in ("display", "type", "primary"):
                return  # describes the role; the value decides it
            if op == "remove" or value in (None, ""):
                self._assign([])
                return
            roles = find_roles(tenant=self.tenant, values=self._role_values([value], path.text))
            keep = [
                r for r in self._current_roles() if r.is_builtin != any(n.is_builtin for n in roles)
            ]
            self._assign([*keep, *roles])
            return
        if op == "remove":
            if has_value and value:
                gone = {
                    r.pk
                    for r in find_roles(
                        tenant=self.tenant, values=self._role_values(value, path.text)
                    )
                }
                self._assign([r for r in self._current_roles() if r.pk not in gone])
            else:
                self._assign([])
            return
        roles = find_roles(tenant=self.tenant, values=self._role_values(value, path.text))
        if op == "replace":
            self._assign(roles)
            return
        # Add (AppRoleAssignmentsComplex): keep what the user has; a new custom role
        # takes the place of the old one, since a user holds one.
        keep = self._current_roles()
        if any(not r.is_builtin for r in roles):
            keep = [r for r in keep if r.is_builtin]
        self._assign([*keep, *roles])

    # --- results ---

    def finish_create(self) -> dict[str, Any]:
        """Service attributes for create_user: no role given → the tenant's provisioning role."""
        if self.values["role"] is None:
            self._assign([])
        return {
            k: v for k, v in self.values.items() if v not in ("", [], None) or k in ("is_active",)
        }

    def finish_replace(self) -> dict[str, Any]:
        """Service attributes for a PUT: every attribute; roles only when the body has them."""
        attributes = dict(self.values)
        if not self.roles_given:
            attributes.pop("role")
            attributes.pop("custom_role")
        return attributes

    def changes(self) -> dict[str, Any]:
        """Service attributes that differ from the user as loaded."""
        changed = {}
        for key, value in self.values.items():
            before = self.original[key]
            if key in ("manager", "custom_role"):
                if (value.pk if value else None) != (before.pk if before else None):
                    changed[key] = value
            elif value != before:
                changed[key] = value
        return changed


GROUP_IGNORED = {"id", "meta", "schemas"}


class GroupDraft:
    """A group's name and the member changes asked for, in order, for the group services."""

    def __init__(self, group=None):
        self.display_name = group.display_name if group is not None else ""
        self.external_id = group.external_id if group is not None else ""
        # ("add" | "remove" | "set", [user ids]) or ("remove_matching", value filter)
        self.member_steps: list[tuple[str, Any]] = []

    def apply_resource(self, body: dict) -> None:
        for path, value in body_paths(body):
            if path.attribute in GROUP_IGNORED:
                continue
            self.apply("replace", path, value, has_value=True)

    def apply_operation(self, operation: PatchOperation) -> None:
        if operation.path is None:
            for path, value in body_paths(operation.value):
                if path.attribute in GROUP_IGNORED:
                    continue
                self.apply(operation.op, path, value, has_value=True)
            return
        path = Path.parse(operation.path)
        if path is None:
            return
        if path.attribute in GROUP_IGNORED:
            raise ScimError(f'"{operation.path}" is read-only.', scim_type="mutability")
        self.apply(operation.op, path, operation.value, has_value=operation.has_value)

    def apply(self, op: str, path: Path, value: Any, *, has_value: bool) -> None:
        if path.attribute in ("displayname", "externalid"):
            if path.value_filter is not None or path.sub_attribute is not None:
                raise ScimError(f'"{path.text}" has no sub-attributes.', scim_type="invalidPath")
            if isinstance(value, list) and len(value) == 1:
                value = value[0]  # the old Microsoft library sent [{"value": "name"}]
            if isinstance(value, dict):
                value = lower_keys(value).get("value")
            if path.attribute == "displayname":
                if op == "remove":
                    raise ScimError(
                        "displayName is required and cannot be removed.", scim_type="mutability"
                    )
                self.display_name = as_string(value, path.text)
            else:
                self.external_id = "" if op == "remove" else as_string(value, path.text, 255)
            return
        if path.attribute != "members":
            if path.value_filter is not None or path.sub_attribute is not None:
                raise ScimError(
                    f'"{path.text}" is not an attribute of Group.', scim_type="invalidPath"
                )
            return  # an attribute this server does not store
        if path.value_filter is not None:
            if op != "remove":
                raise ScimError(
                    f'"{path.text}": add or replace members with path "members" and a list.',
                    scim_type="invalidPath",
                )
            terms = _eq_terms(path.value_filter)
            if set(terms) == {"value"} and isinstance(path.value_filter, filters.Comparison):
                self.member_steps.append(("remove", [str(terms["value"])]))
            else:
                self.member_steps.append(("remove_matching", path.value_filter))
            return
        if path.sub_attribute is not None:
            raise ScimError(
                f'"{path.text}": members are changed as a whole item.', scim_type="invalidPath"
            )
        ids = self._member_ids(value, path.text)
        if op == "add":
            self.member_steps.append(("add", ids))
        elif op == "replace":
            self.member_steps.append(("set", ids))
        elif has_value and ids:
            # Entra's default removal: exactly these members, never all of them.
            self.member_steps.append(("remove", ids))
        else:
            self.member_steps.append(("set", []))

    @staticmethod
    def _member_ids(value: Any, text: str) -> list[str]:
        ids = []
        for item in as_list(value, text):
            if isinstance(item, dict):
                item = lower_keys(item).get("value")
            if item is None or item == "":
                continue
            if not isinstance(item, str):
                raise ScimError(
                    f'"{text}": a member value must be a user id string.', scim_type="invalidValue"
                )
            ids.append(item.strip())
        return ids
