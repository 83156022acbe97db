"""The SCIM attribute map: every User, Group and Role attribute, once (RFC 7643 §4, §7).

An entry names the attribute, where it lives (a model field, or rows of a related model),
how /Schemas describes it, which column a filter compares, and its kind. The kind picks the
reader that renders it (serializers.READERS) and the PATCH handler that writes it into a draft
(handlers.HANDLERS). Parsing, rendering, attributes/excludedAttributes, filters, PATCH path
checks and /Schemas are all derived from these tables, so adding an attribute of a known kind
is one entry here plus its migration.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Model

from apps.groups.models import Group, GroupMembership
from apps.roles.models import Role
from apps.users.models import User, UserEmail, UserPhoneNumber

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ROLE = "urn:commbox:params:scim:schemas:core:2.0:Role"

# Column kinds: how a filter compares the stored value.
STRING, BOOLEAN, UUID, DATETIME = "string", "boolean", "uuid", "datetime"


class Kind(StrEnum):
    """How an attribute is stored, hence how it is read and written."""

    ID = "id"  # the public id, assigned by the server
    META = "meta"  # created, lastModified, location, version: assigned by the server
    SIMPLE = "simple"  # one column (string, boolean or reference)
    COMPLEX = "complex"  # single-valued, each sub-attribute a column (name)
    CONTACTS = "contacts"  # multi-valued rows of a related model (emails, phoneNumbers)
    ADDRESSES = "addresses"  # multi-valued, a JSON list stored as sent
    ROLES = "roles"  # the built-in role and the custom role
    MANAGER = "manager"  # another user of the same tenant
    MEMBERS = "members"  # group memberships


@dataclass(frozen=True)
class Column:
    """Where a filter finds an attribute: ORM lookups, OR-ed (any of them may match)."""

    lookups: tuple[str, ...]
    kind: str = STRING
    case_exact: bool = False
    # Role values: "Tier_2_Specialist" also finds the name "Tier 2 Specialist".
    underscores_as_spaces: bool = False
    # Stored in the users app's lookup form (NFKC): a filter value is compared in it too.
    lookup_form: bool = False


@dataclass(frozen=True)
class Rows:
    """A multi-valued attribute stored as rows of `model`, whose foreign key `owner` points back."""

    model: type[Model]
    owner: str


@dataclass(frozen=True)
class Attribute:
    name: str  # canonical SCIM spelling
    kind: Kind = Kind.SIMPLE
    field: str = ""  # the model field, or the related manager of rows ("" for none)
    type: str = "string"  # SCIM type (RFC 7643 §2.3)
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] | None = None
    reference_types: tuple[str, ...] | None = None
    filter: Column | None = None  # for sub-attributes of rows: a column of the related model
    rows: Rows | None = None
    read: Callable[[Any], Any] | None = None  # a computed value instead of the field's
    keep_empty: bool = False  # rendered even when empty

    @property
    def key(self) -> str:
        return self.name.lower()

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute of this (lower-case) name."""
        return next((s for s in self.sub_attributes if s.key == name), None)


def simple(
    name: str,
    field: str = "",
    *,
    type: str = "string",
    column: str | None = None,
    filterable: bool = True,
    case_exact: bool = False,
    lookup_form: bool = False,
    **characteristics: Any,
) -> Attribute:
    """A single-valued attribute in one column; a filter compares `column` (default: `field`)."""
    lookup = column or field
    kind = BOOLEAN if type == "boolean" else STRING
    column_filter = Column((lookup,), kind, case_exact, lookup_form=lookup_form)
    return Attribute(
        name,
        Kind.SIMPLE,
        field,
        type,
        case_exact=case_exact,
        filter=column_filter if filterable and lookup else None,
        **characteristics,
    )


def _id() -> Attribute:
    return Attribute(
        "id",
        Kind.ID,
        "public_id",
        case_exact=True,
        mutability="readOnly",
        returned="always",
        uniqueness="server",
        description="Unique identifier assigned by the server.",
        filter=Column(("public_id",), UUID, True),
    )


def _external_id(what: str) -> Attribute:
    return simple(
        "externalId",
        "external_id",
        case_exact=True,
        description=f"The client's identifier for the {what}.",
    )


def _meta() -> Attribute:
    # A common attribute (RFC 7643 §3.1): filterable, but not listed in a schema.
    return Attribute(
        "meta",
        Kind.META,
        type="complex",
        mutability="readOnly",
        sub_attributes=(
            Attribute("created", type="dateTime", filter=Column(("created_at",), DATETIME)),
            Attribute("lastModified", type="dateTime", filter=Column(("modified_at",), DATETIME)),
        ),
    )


def _contacts(
    name: str,
    field: str,
    model: type[Model],
    description: str,
    types: tuple[str, ...],
    *,
    lookup_form: bool = False,
) -> Attribute:
    return Attribute(
        name,
        Kind.CONTACTS,
        field,
        "complex",
        multi_valued=True,
        description=description,
        rows=Rows(model, "user"),
        sub_attributes=(
            simple(
                "value",
                "value",
                description=f"The {name[:-1]}"
                + (" in Unicode's NFKC form." if lookup_form else " as sent; stored unchanged."),
                lookup_form=lookup_form,
            ),
            simple("display", "display", description="A human-readable name."),
            simple("type", "type", description="A label such as work.", canonical_values=types),
            simple(
                "primary",
                "primary",
                type="boolean",
                description="The primary value (at most one).",
            ),
        ),
    )


# A custom role's value is its name with spaces as underscores (Role.value).
_ROLE_VALUE = Column(("role", "custom_role__name"), underscores_as_spaces=True)
_MANAGER = Column(("manager__public_id",), UUID, True)

USER_CORE = (
    _id(),
    simple(
        "userName",
        "user_name",
        description="Unique identifier for the user, typically the UPN.",
        required=True,
        uniqueness="server",
        lookup_form=True,
    ),
    _external_id("user"),
    Attribute(
        "name",
        Kind.COMPLEX,
        type="complex",
        description="The components of the user's name.",
        sub_attributes=(
            simple("formatted", "name_formatted"),
            simple("familyName", "family_name"),
            simple("givenName", "given_name"),
            simple("middleName", "middle_name"),
            simple("honorificPrefix", "honorific_prefix"),
            simple("honorificSuffix", "honorific_suffix"),
        ),
    ),
    simple("displayName", "display_name", description="The name displayed to end-users."),
    simple("nickName", "nick_name"),
    simple("profileUrl", "profile_url", type="reference", reference_types=("external",)),
    simple("title", "title"),
    simple("userType", "user_type"),
    simple("preferredLanguage", "preferred_language"),
    simple("locale", "locale"),
    simple("timezone", "timezone"),
    simple(
        "active",
        "is_active",
        type="boolean",
        description=(
            "false keeps the user (and their groups) but blocks sign-in. Removed or null "
            "means false: only true enables a user."
        ),
    ),
    _contacts(
        "emails",
        "emails",
        UserEmail,
        "Email addresses for the user.",
        ("work", "home", "other"),
        lookup_form=True,
    ),
    _contacts(
        "phoneNumbers",
        "phone_numbers",
        UserPhoneNumber,
        "Phone numbers for the user.",
        ("work", "home", "mobile", "fax", "pager", "other"),
    ),
    Attribute(
        "addresses",
        Kind.ADDRESSES,
        "addresses",
        "complex",
        multi_valued=True,
        description="Physical mailing addresses, stored as sent.",
        sub_attributes=(
            simple("formatted"),
            simple("streetAddress"),
            simple("locality"),
            simple("region"),
            simple("postalCode"),
            simple("country"),
            simple("type", canonical_values=("work", "home", "other")),
            simple("primary", type="boolean"),
        ),
    ),
    Attribute(
        "roles",
        Kind.ROLES,
        type="complex",
        multi_valued=True,
        description=(
            "The user's built-in role (end-user, agent, admin) and custom role, each with the "
            "value of its Entra app role (a custom role's spaces as underscores, as in "
            "/Roles). The custom role, when there is one, is the primary entry: it is the "
            "app role Entra assigned, which SingleAppRoleAssignment reads back as "
            'roles[primary eq "True"].value, and the built-in role (agent) follows from it; '
            "without one the built-in role is primary. On input each value is matched "
            "against /Roles ignoring case, spaces and underscores; the highest built-in role "
            "and at most one custom role are kept; a custom role implies agent. Removing "
            "roles never raises the user above the built-in role they held."
        ),
        filter=_ROLE_VALUE,
        sub_attributes=(
            Attribute("value", description="A role value from /Roles.", filter=_ROLE_VALUE),
            Attribute("display", mutability="readOnly"),
            # What a client sends in type and primary is ignored: the value decides both.
            simple(
                "type",
                canonical_values=("builtin", "custom"),
                description="builtin or custom, from the role the value names.",
                mutability="readOnly",
            ),
            simple(
                "primary",
                type="boolean",
                description="The most specific role (the custom one, if any).",
                mutability="readOnly",
            ),
        ),
    ),
    _meta(),
)

USER_ENTERPRISE = (
    simple("employeeNumber", "employee_number"),
    simple("costCenter", "cost_center"),
    simple("organization", "organization"),
    simple("division", "division"),
    simple("department", "department"),
    Attribute(
        "manager",
        Kind.MANAGER,
        "manager",
        "complex",
        description="The user's manager: a user of the same account, by id.",
        filter=_MANAGER,
        sub_attributes=(
            Attribute("value", description="The manager's id.", case_exact=True, filter=_MANAGER),
            Attribute(
                "$ref",
                type="reference",
                description="The manager's URI; read for the id when value is not sent.",
                reference_types=("User",),
            ),
            simple(
                "displayName",
                column="manager__display_name",
                mutability="readOnly",
            ),
        ),
    ),
)

GROUP_CORE = (
    _id(),
    simple(
        "displayName",
        "display_name",
        description="The group's name, unique in the account (any case).",
        required=True,
        uniqueness="server",
    ),
    _external_id("group"),
    Attribute(
        "members",
        Kind.MEMBERS,
        "memberships",
        "complex",
        multi_valued=True,
        description="Agents in the group; end-users cannot be members.",
        rows=Rows(GroupMembership, "group"),
        keep_empty=True,
        sub_attributes=(
            Attribute(
                "value",
                description="The member's user id.",
                case_exact=True,
                mutability="immutable",
                filter=Column(("user__public_id",), UUID, True),
            ),
            Attribute("$ref", type="reference", mutability="immutable", reference_types=("User",)),
            simple("display", column="user__user_name", mutability="readOnly"),
            simple("type", mutability="immutable", canonical_values=("User",), filterable=False),
        ),
    ),
    _meta(),
)

ROLE_CORE = (
    _id(),
    simple(
        "displayName",
        "name",
        description="The role's name.",
        mutability="readOnly",
        uniqueness="server",
    ),
    # A role's value is its built-in key ("agent") or, for a custom role, its name.
    Attribute(
        "value",
        field="value",
        description="What to send in a user's roles to assign this role.",
        mutability="readOnly",
        uniqueness="server",
        filter=Column(("builtin", "name"), underscores_as_spaces=True),
    ),
    simple("description", "description", mutability="readOnly"),
    Attribute(
        "type",
        description="builtin or custom.",
        mutability="readOnly",
        canonical_values=("builtin", "custom"),
        read=lambda role: "builtin" if role.is_builtin else "custom",
    ),
    _meta(),
)


@dataclass(frozen=True)
class Resource:
    """A resource type: its schemas (core first) and their attributes."""

    name: str
    description: str
    model: type[Model]
    url_name: str  # the URL of one resource, for meta.location and $ref
    schemas: dict[str, tuple[Attribute, ...]]
    # Accepted on input and ignored: server-assigned or not stored.
    not_stored: frozenset[str] = field(default_factory=frozenset)

    @property
    def schema(self) -> str:
        return next(iter(self.schemas))

    @property
    def extensions(self) -> tuple[str, ...]:
        return tuple(self.schemas)[1:]

    def attributes(self) -> Iterator[tuple[str, Attribute]]:
        """(schema URN, attribute) for every attribute, core first."""
        for urn, attributes in self.schemas.items():
            for attribute in attributes:
                yield urn, attribute

    def find(self, name: str) -> Attribute | None:
        """The attribute of this lower-case name in any of the schemas (names do not clash)."""
        return self._by_key.get(name)

    @functools.cached_property
    def _by_key(self) -> dict[str, Attribute]:
        # Every PATCH and POST looks attributes up by name, dozens of times.
        return {attribute.key: attribute for _, attribute in self.attributes()}

    def ignores(self, name: str) -> bool:
        """Whether input may name the attribute but never changes it."""
        attribute = self.find(name)
        read_only = attribute is not None and attribute.kind in (Kind.ID, Kind.META)
        return read_only or name in self.not_stored

    @functools.cached_property
    def _columns(self) -> tuple[str, ...]:
        fields = []
        for _, attribute in self.attributes():
            if attribute.kind in (Kind.SIMPLE, Kind.ADDRESSES) and attribute.field:
                fields.append(attribute.field)
            elif attribute.kind is Kind.COMPLEX:
                fields.extend(sub.field for sub in attribute.sub_attributes)
        return tuple(fields)

    def columns(self) -> tuple[str, ...]:
        """The model fields that hold single-valued attributes (and addresses), in map order."""
        return self._columns

    def always_returned(self) -> tuple[str, ...]:
        return ("schemas", *(a.name for _, a in self.attributes() if a.returned == "always"))


USER = Resource(
    "User",
    "User Account",
    User,
    "scim:user",
    {CORE_USER: USER_CORE, ENTERPRISE_USER: USER_ENTERPRISE},
    not_stored=frozenset(
        {"schemas", "groups", "password", "x509certificates", "ims", "photos", "entitlements"}
    ),
)
GROUP = Resource(
    "Group",
    "Group of agents",
    Group,
    "scim:group",
    {CORE_GROUP: GROUP_CORE},
    not_stored=frozenset({"schemas"}),
)
ROLES = Resource(
    "Role",
    "A role of the account: one of the built-in roles or a custom role (read-only)",
    Role,
    "scim:role",
    {ROLE: ROLE_CORE},
)
RESOURCES = {resource.name: resource for resource in (USER, GROUP, ROLES)}
# Every schema URN this server knows (core and extension), as spelled in the schemas.
SCHEMA_URNS = tuple(urn for resource in RESOURCES.values() for urn in resource.schemas)
