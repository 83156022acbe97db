"""One PATCH handler per kind of attribute (mapping.Kind), each writing into a draft.

A handler receives the draft (patch.UserDraft or patch.GroupDraft), the map entry of the
attribute the path names, and the Change (op, parsed path, value). Values are coerced by
apps.scim.coerce; nothing here saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from apps.roles.services import RoleChange
from apps.scim import coerce
from apps.scim.exceptions import ScimError
from apps.scim.mapping import Attribute, Kind
from apps.scim.paths import PatchPath, eq_terms, matches
from apps.users.services import resolve_manager


class Draft(Protocol):
    """What a handler asks of a draft (patch.Draft); typed here so handlers need not import it."""

    values: dict[str, Any]
    given: set[str]

    def unwrap(self, value: Any) -> Any: ...
    def cleared(self, attribute: Attribute) -> Any: ...
    def item_limits(self, attribute: Attribute) -> dict[str, int]: ...


class UserDraft(Draft, Protocol):
    """What the manager and roles handlers ask of a user's draft (patch.UserDraft)."""

    tenant: Any

    def change_roles(self, change: RoleChange, values: list[str]) -> None: ...


@dataclass(frozen=True)
class Change:
    """One edit: add, replace or remove at `path`; `has_value` tells null from no value."""

    op: str
    path: PatchPath
    value: Any = None
    has_value: bool = True

    @property
    def text(self) -> str:
        return self.path.text


def invalid_path(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidPath")


# --- simple and complex single-valued (name) ---


def write_simple(draft: Draft, attribute: Attribute, change: Change) -> None:
    """Set or clear the column behind a single-valued attribute (or a sub-attribute of name)."""
    draft.given.add(attribute.field)
    if change.op == "remove":
        draft.values[attribute.field] = draft.cleared(attribute)
        return
    value = draft.unwrap(change.value)
    if attribute.type == "boolean":
        draft.values[attribute.field] = (
            draft.cleared(attribute) if value is None else coerce.as_bool(value, change.text)
        )
    else:
        # Only the type here: the service checks the length against the column.
        draft.values[attribute.field] = coerce.as_string(value, change.text)


def apply_simple(draft: Draft, attribute: Attribute, change: Change) -> None:
    if change.path.value_filter is not None or change.path.sub_attribute is not None:
        raise invalid_path(f'"{change.text}" has no sub-attributes.')
    write_simple(draft, attribute, change)


def apply_complex(draft: Draft, attribute: Attribute, change: Change) -> None:
    """`name` as a whole object, or one of its sub-attributes (`name.givenName`)."""
    path = change.path
    if path.value_filter is not None:
        raise invalid_path(f'"{change.text}" has no sub-attributes to filter.')
    if path.sub_attribute is not None:
        sub = attribute.sub(path.sub_attribute)
        if sub is not None:  # an unknown sub-attribute is not stored: ignored
            write_simple(draft, sub, change)
        return
    if change.op == "remove" or change.value is None:
        for sub in attribute.sub_attributes:
            draft.values[sub.field] = ""
        return
    if not isinstance(change.value, dict):
        raise coerce.invalid(f'"{attribute.name}" must be an object.')
    for key, value in coerce.lower_keys(change.value).items():
        sub = attribute.sub(key)
        if sub is not None:
            sub_path = PatchPath(attribute.key, sub_attribute=key, text=attribute.name)
            write_simple(draft, sub, Change(change.op, sub_path, value))


# --- manager ---


def apply_manager(draft: UserDraft, attribute: Attribute, change: Change) -> None:
    """The manager by id, in every form Entra sends; displayName and $ref are derived."""
    path = change.path
    if path.sub_attribute not in (None, "value"):
        if attribute.sub(path.sub_attribute) is not None:
            return
        raise invalid_path(f'"{change.text}": unknown sub-attribute.')
    current = draft.values[attribute.field]
    if change.op == "remove":
        if path.value_filter is None or (
            current is not None
            and matches(
                path.value_filter,
                {"value": str(current.public_id), "displayName": current.display_name},
            )
        ):
            draft.values[attribute.field] = None
        return
    manager_id = coerce.id_of(change.value, change.text)
    if manager_id is None:
        draft.values[attribute.field] = None
    elif current is None or str(current.public_id) != manager_id.lower():
        draft.values[attribute.field] = resolve_manager(draft.tenant, manager_id)


# --- multi-valued with filters: emails, phoneNumbers, addresses ---


class Items:
    """The items of one multi-valued attribute being edited, in canonical form."""

    def __init__(self, draft: Draft, attribute: Attribute, change: Change):
        self.keys = {sub.key: sub.name for sub in attribute.sub_attributes}
        self.limits = draft.item_limits(attribute)
        self.text = change.text
        self.items: list[dict] = [dict(i) for i in draft.values[attribute.field]]

    def coerce(self, raw: Any) -> dict:
        return coerce.item(raw, self.text, self.keys, self.limits)

    def sub_of(self, path: PatchPath) -> str | None:
        if path.sub_attribute is None:
            return None
        sub = self.keys.get(path.sub_attribute)
        if sub is None:
            raise invalid_path(f'"{self.text}": unknown sub-attribute.')
        return sub

    def targets(self, path: PatchPath) -> list[int]:
        if path.value_filter is None:
            return list(range(len(self.items)))
        return [n for n, item in enumerate(self.items) if matches(path.value_filter, item)]

    def clear(self, targets: list[int], sub: str | None) -> None:
        """Drop the targeted items, or only their sub-attribute `sub` (other than value)."""
        if sub is None or sub == "value":
            self.items = [item for n, item in enumerate(self.items) if n not in targets]
            return
        for n in targets:
            self.items[n].pop(sub, None)

    def with_one_primary(self) -> list[dict]:
        """At most one primary (RFC 7643 §2.4): the last one set wins."""
        primaries = [n for n, item in enumerate(self.items) if item.get("primary")]
        for n in primaries[:-1]:
            self.items[n]["primary"] = False
        return self.items


def _same_item(have: dict, new: dict) -> bool:
    if new.get("type"):
        return str(have.get("type", "")).lower() == new["type"].lower()
    return not have.get("type") and _item_value(have) == _item_value(new)


def _item_value(item: dict) -> str:
    return str(item.get("value", "")).lower()


def _edit_whole(items: Items, change: Change) -> None:
    """No filter, no sub-attribute: the value is a list of items."""
    new = [i for i in map(items.coerce, coerce.as_list(change.value, change.text)) if i]
    if change.op == "replace":
        items.items = new
    elif change.op == "add":
        _add_items(items, new)
    elif change.has_value and new:
        drop = {_item_value(i) for i in new}
        items.items = [i for i in items.items if _item_value(i) not in drop]
    else:
        items.items = []


def _add_items(items: Items, new: list[dict]) -> None:
    for item in new:
        # One item per type (Entra expects one work email): a typed item replaces the
        # item of its type, an untyped one merges with the item of its value.
        same = next((i for i in items.items if _same_item(i, item)), None)
        if same is None:
            items.items.append(item)
        else:
            same.update(item)


def _edit_targets(items: Items, change: Change, sub: str | None) -> None:
    """`emails[type eq "work"].value`, `emails.value` or `emails[...]`: the matching items."""
    targets = items.targets(change.path)
    if change.op == "remove":
        items.clear(targets, sub)
        return
    if sub is None:
        update = items.coerce(change.value)
    else:
        update = items.coerce({sub: change.value}) if change.value is not None else {}
        if change.value is None or change.value == "":
            items.clear(targets, sub)  # setting a sub-attribute to null or "" clears it
            return
    for n in targets:
        items.items[n].update(update)
    if not targets:
        # Nothing matches `emails[type eq "work"]`: Entra means "set the work email".
        items.items.append(items.coerce({**_filter_terms(items, change.path), **update}))


def _filter_terms(items: Items, path: PatchPath) -> dict:
    if path.value_filter is None:
        return {}
    return {
        items.keys[key.lower()]: value
        for key, value in eq_terms(path.value_filter).items()
        if key.lower() in items.keys and isinstance(value, str | bool)
    }


def apply_multi(draft: Draft, attribute: Attribute, change: Change) -> None:
    items = Items(draft, attribute, change)
    sub = items.sub_of(change.path)
    if change.path.value_filter is None and sub is None:
        _edit_whole(items, change)
    else:
        _edit_targets(items, change, sub)
    draft.values[attribute.field] = items.with_one_primary()


# --- roles ---


def apply_roles(draft: UserDraft, attribute: Attribute, change: Change) -> None:
    """Translate the operation into a role change; the roles service decides what it gives."""
    if change.path.value_filter is not None or change.path.sub_attribute is not None:
        # roles[primary eq "True"].value: Entra's SingleAppRoleAssignment.
        if change.path.sub_attribute in ("display", "type", "primary"):
            return  # describes the role; the value decides it
        if change.op == "remove" or change.value in (None, ""):
            draft.change_roles(RoleChange.REMOVE_ALL, [])
        else:
            draft.change_roles(RoleChange.SET_ONE, coerce.role_values([change.value], change.text))
    elif change.op == "remove":
        if change.has_value and change.value:
            draft.change_roles(RoleChange.REMOVE, coerce.role_values(change.value, change.text))
        else:
            draft.change_roles(RoleChange.REMOVE_ALL, [])
    else:
        kind = RoleChange.REPLACE if change.op == "replace" else RoleChange.ADD
        draft.change_roles(kind, coerce.role_values(change.value, change.text))


def apply_read_only(draft: Draft, attribute: Attribute, change: Change) -> None:
    raise ScimError(f'"{change.text}" is read-only.', scim_type="mutability")


Handler = Callable[[Any, Attribute, Change], None]  # the draft's type depends on the kind

HANDLERS: dict[Kind, Handler] = {
    Kind.ID: apply_read_only,
    Kind.META: apply_read_only,
    Kind.SIMPLE: apply_simple,
    Kind.COMPLEX: apply_complex,
    Kind.MANAGER: apply_manager,
    Kind.CONTACTS: apply_multi,
    Kind.ADDRESSES: apply_multi,
    Kind.ROLES: apply_roles,
}
