"""Working copies that POST, PUT and PATCH edit before one service call saves them.

A draft holds a resource's state in service terms. Each operation is resolved against the
attribute map (apps.scim.mapping) and handed to the handler of the attribute's kind
(apps.scim.handlers). A UserDraft's `changes()` gives what changed for one
users.services.update_user call; a GroupDraft holds the name and the ordered member changes
for the group services. An operation that fails raises before anything is saved, and the
views save inside one transaction, so a request applies all or nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Field, Model

from apps.groups.models import Group
from apps.groups.services import MemberChange
from apps.roles.services import RoleChange, assignment_for, change_role_assignment
from apps.scim import coerce
from apps.scim.exceptions import ScimError
from apps.scim.filters import Comparison, Node
from apps.scim.handlers import HANDLERS, Change, Handler, invalid_path
from apps.scim.mapping import (
    GROUP,
    USER,
    Attribute,
    Kind,
    Resource,
)
from apps.scim.paths import PatchPath, eq_terms, matches, parse_path
from apps.scim.serializers import PatchOperation, contact
from apps.users.models import User

# Schemas a PATCH path may name (users' and groups'); a path under any other URN is an
# extension not stored, and is ignored.
PATCHABLE_SCHEMAS = {urn.lower() for resource in (USER, GROUP) for urn in resource.schemas}


def parse_target(text: str) -> PatchPath | None:
    """A PATCH path; None for an extension schema this server does not store."""
    path = parse_path(text)
    if path.schema and path.schema.lower() not in PATCHABLE_SCHEMAS:
        return None
    return path


class Draft:
    """What drafts share: resolving operations against the map and dispatching them by kind."""

    resource: Resource
    handlers: dict[Kind, Handler] = HANDLERS
    read_only_detail = "is read-only"
    values: dict[str, Any]
    given: set[str]  # the fields some operation wrote

    def apply_resource(self, body: dict) -> None:
        self._apply_body("replace", body)

    def apply_operation(self, operation: PatchOperation) -> None:
        if operation.path is None:
            self._apply_body(operation.op, operation.value)
            return
        extension = self._extension_named(operation.path)
        if extension is not None:
            self._apply_extension(extension, operation)
            return
        path = parse_target(operation.path)
        if path is None:
            return
        if self.resource.ignores(path.attribute):
            raise ScimError(f'"{operation.path}" {self.read_only_detail}.', scim_type="mutability")
        self.apply(Change(operation.op, path, operation.value, operation.has_value))

    def _apply_body(self, op: str, body: dict) -> None:
        for path, value in coerce.body_paths(body):
            if not self.resource.ignores(path.attribute):
                self.apply(Change(op, path, value))

    def _extension_named(self, path: str) -> str | None:
        return next((urn for urn in self.resource.extensions if urn.lower() == path.lower()), None)

    def _apply_extension(self, urn: str, operation: PatchOperation) -> None:
        """The path is an extension URN: remove clears its attributes, add/replace sets keys."""
        if operation.op == "remove":
            for attribute in self.resource.schemas[urn]:
                self.apply(Change("remove", PatchPath(attribute.key), None, False))
            return
        if not isinstance(operation.value, dict):
            raise coerce.invalid(f'"{operation.path}" takes an object.')
        self._apply_body(operation.op, operation.value)

    def apply(self, change: Change) -> None:
        attribute = self.resource.find(change.path.attribute)
        if attribute is None:
            if change.path.value_filter is None:
                return  # an attribute this server does not store: ignored, as Entra expects
            raise invalid_path(f'"{change.text}" is not an attribute of {self.resource.name}.')
        self.handlers[attribute.kind](self, attribute, change)

    # --- what handlers ask of a draft ---

    def unwrap(self, value: Any) -> Any:
        return value

    def cleared(self, attribute: Attribute) -> Any:
        """The value a removed (or null) single-valued attribute takes.

        Removed or null is unassigned (RFC 7644 §3.5.2), and an unassigned `active` is not
        an active user: only an explicit true enables one.
        """
        return False if attribute.type == "boolean" else ""

    def item_limits(self, attribute: Attribute) -> dict[str, int]:
        """Longest value per sub-attribute of rows (addresses are JSON, no column limits)."""
        if attribute.rows is None:
            return {}
        limits = {
            sub.name: _max_length(attribute.rows.model, sub.field)
            for sub in attribute.sub_attributes
            if sub.type == "string"
        }
        return {name: limit for name, limit in limits.items() if limit}


def _max_length(model: type[Model], field_name: str) -> int | None:
    return getattr(model._meta.get_field(field_name), "max_length", None)


class UserDraft(Draft):
    """A user's state in service terms, edited by SCIM operations."""

    resource = USER
    read_only_detail = "is read-only or not stored"

    def __init__(self, tenant, user: User | None = None, *, replacing: User | None = None):
        """`user` for a PATCH (edits start from it), `replacing` for a PUT (they start empty)."""
        self.tenant = tenant
        self.roles_given = False
        self.given = set()
        held = user or replacing
        # What the user holds before the request: role removals are measured against it.
        self.held_roles = (
            (held.role, held.custom_role if held.custom_role_id else None) if held else None
        )
        self.values = {name: _default(name) for name in USER.columns()}
        self.values.update(
            emails=[],
            phone_numbers=[],
            manager=None,
            role=None,
            custom_role=None,
        )
        if user is not None:
            self.values.update(self._loaded(user))
        self.original = {k: (list(v) if isinstance(v, list) else v) for k, v in self.values.items()}

    @staticmethod
    def _loaded(user: User) -> dict[str, Any]:
        values = {name: getattr(user, name) for name in USER.columns()}
        values.update(
            addresses=[dict(a) for a in user.addresses],
            emails=[contact(*row) for row in user.contacts("emails")],
            phone_numbers=[contact(*row) for row in user.contacts("phone_numbers")],
            manager=user.manager if user.manager_id else None,
            role=user.role,
            custom_role=user.custom_role if user.custom_role_id else None,
        )
        return values

    # --- roles, for handlers.apply_roles ---

    def change_roles(self, change: RoleChange, values: list[str]) -> None:
        """Apply a role change, named by the request's values, as the roles service decides it."""
        self.values["role"], self.values["custom_role"] = change_role_assignment(
            tenant=self.tenant,
            change=change,
            values=values,
            current=(self.values["role"], self.values["custom_role"]),
            held=self.held_roles,
        )
        self.roles_given = True

    # --- results ---

    def finish_create(self) -> dict[str, Any]:
        """Service attributes for create_user: no role given → the tenant's provisioning role."""
        if self.values["role"] is None:
            self.values["role"], _ = assignment_for(tenant=self.tenant, roles=[])
        return {
            k: v for k, v in self.values.items() if v not in ("", [], None) or k in ("is_active",)
        }

    def finish_replace(self) -> dict[str, Any]:
        """Service attributes for a PUT: every attribute; roles and active only when given."""
        attributes = dict(self.values)
        if not self.roles_given:
            attributes.pop("role")
            attributes.pop("custom_role")
        if "is_active" not in self.given:
            # Leaving `active` out of a PUT never re-enables a disabled user.
            attributes.pop("is_active")
        return attributes

    def changes(self) -> dict[str, Any]:
        """Service attributes that differ from the user as loaded."""
        return {
            key: value
            for key, value in self.values.items()
            if _identity(value, key) != _identity(self.original[key], key)
        }


def _default(name: str) -> Any:
    return cast(Field, User._meta.get_field(name)).get_default()


def _identity(value: Any, key: str) -> Any:
    if key in ("manager", "custom_role"):
        return value.pk if value else None
    return value


# --- group members: changes as values, which the group services apply in order ---


def _remove_matching(value_filter: Node) -> MemberChange:
    """members[display eq "…"]: the members the value filter matches."""

    def matching(user: User) -> bool:
        return matches(value_filter, {"value": str(user.public_id), "display": user.user_name})

    return MemberChange("remove", matching=matching)


def _filtered_removal(change: Change, value_filter: Node) -> MemberChange:
    if change.op != "remove":
        raise invalid_path(
            f'"{change.text}": add or replace members with path "members" and a list.'
        )
    terms = eq_terms(value_filter)
    if set(terms) == {"value"} and isinstance(value_filter, Comparison):
        return MemberChange("remove", (str(terms["value"]),))
    return _remove_matching(value_filter)


def apply_members(draft: GroupDraft, attribute: Attribute, change: Change) -> None:
    if change.path.value_filter is not None:
        draft.member_changes.append(_filtered_removal(change, change.path.value_filter))
        return
    if change.path.sub_attribute is not None:
        raise invalid_path(f'"{change.text}": members are changed as a whole item.')
    ids = tuple(coerce.ids_of(change.value, change.text))
    if change.op == "add":
        draft.member_changes.append(MemberChange("add", ids))
    elif change.op == "replace":
        draft.member_changes.append(MemberChange("set", ids))
    elif change.has_value and ids:
        # Entra's default removal: exactly these members, never all of them.
        draft.member_changes.append(MemberChange("remove", ids))
    else:
        draft.member_changes.append(MemberChange("set"))


class GroupDraft(Draft):
    """A group's name and the member changes asked for, in order, for the group services."""

    resource = GROUP
    handlers = {**HANDLERS, Kind.MEMBERS: apply_members}

    def __init__(self, group: Group | None = None):
        self.values = {
            "display_name": group.display_name if group is not None else "",
            "external_id": group.external_id if group is not None else "",
        }
        self.member_changes: list[MemberChange] = []
        self.given = set()

    @property
    def display_name(self) -> str:
        return self.values["display_name"]

    @property
    def external_id(self) -> str:
        return self.values["external_id"]

    def apply(self, change: Change) -> None:
        path = change.path
        if self.resource.find(path.attribute) is None and path.sub_attribute is not None:
            raise invalid_path(f'"{change.text}" is not an attribute of Group.')
        super().apply(change)

    def unwrap(self, value: Any) -> Any:
        return coerce.single_value(value)  # the old Microsoft library sent [{"value": "name"}]

    def cleared(self, attribute: Attribute) -> Any:
        if attribute.required:
            raise ScimError(
                f"{attribute.name} is required and cannot be removed.", scim_type="mutability"
            )
        return super().cleared(attribute)

    def initial_member_ids(self) -> list[str]:
        """The members a POST names (its members attribute is a replace)."""
        return [
            i for change in self.member_changes if change.action == "set" for i in change.user_ids
        ]

    def replacing_members(self) -> None:
        """A PUT without members leaves the group without members."""
        if not any(change.action == "set" for change in self.member_changes):
            self.member_changes.append(MemberChange("set"))
