"""What /Schemas and /ResourceTypes say: the attributes this server really stores (RFC 7643 §7)."""

from __future__ import annotations

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ROLE = "urn:commbox:params:scim:schemas:core:2.0:Role"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def attribute(
    name: str,
    type_: str = "string",
    *,
    description: str = "",
    multi_valued: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    sub_attributes: list[dict] | None = None,
    canonical_values: list[str] | None = None,
    reference_types: list[str] | None = None,
) -> dict:
    """One attribute definition with every characteristic spelled out (RFC 7643 §7)."""
    definition = {
        "name": name,
        "type": type_,
        "multiValued": multi_valued,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub_attributes is not None:
        definition["subAttributes"] = sub_attributes
    if canonical_values is not None:
        definition["canonicalValues"] = canonical_values
    if reference_types is not None:
        definition["referenceTypes"] = reference_types
    return definition


def _multi_valued(name: str, description: str, types: list[str]) -> dict:
    return attribute(
        name,
        "complex",
        description=description,
        multi_valued=True,
        sub_attributes=[
            attribute("value", description=f"The {name[:-1]} as sent; stored unchanged."),
            attribute("display", description="A human-readable name."),
            attribute("type", description="A label such as work.", canonical_values=types),
            attribute("primary", "boolean", description="The primary value (at most one)."),
        ],
    )


_ID = attribute(
    "id",
    description="Unique identifier assigned by the server.",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
)

USER_SCHEMA = {
    "schemas": [SCHEMA],
    "id": CORE_USER,
    "name": "User",
    "description": "User Account",
    "attributes": [
        _ID,
        attribute(
            "userName",
            description="Unique identifier for the user, typically the UPN.",
            required=True,
            uniqueness="server",
        ),
        attribute(
            "externalId", description="The client's identifier for the user.", case_exact=True
        ),
        attribute(
            "name",
            "complex",
            description="The components of the user's name.",
            sub_attributes=[
                attribute("formatted"),
                attribute("familyName"),
                attribute("givenName"),
                attribute("middleName"),
                attribute("honorificPrefix"),
                attribute("honorificSuffix"),
            ],
        ),
        attribute("displayName", description="The name displayed to end-users."),
        attribute("nickName"),
        attribute("profileUrl", "reference", reference_types=["external"]),
        attribute("title"),
        attribute("userType"),
        attribute("preferredLanguage"),
        attribute("locale"),
        attribute("timezone"),
        attribute(
            "active",
            "boolean",
            description="false keeps the user (and their groups) but blocks sign-in.",
        ),
        _multi_valued("emails", "Email addresses for the user.", ["work", "home", "other"]),
        _multi_valued(
            "phoneNumbers",
            "Phone numbers for the user.",
            ["work", "home", "mobile", "fax", "pager", "other"],
        ),
        attribute(
            "addresses",
            "complex",
            description="Physical mailing addresses, stored as sent.",
            multi_valued=True,
            sub_attributes=[
                attribute("formatted"),
                attribute("streetAddress"),
                attribute("locality"),
                attribute("region"),
                attribute("postalCode"),
                attribute("country"),
                attribute("type", canonical_values=["work", "home", "other"]),
                attribute("primary", "boolean"),
            ],
        ),
        attribute(
            "roles",
            "complex",
            description=(
                "The user's built-in role (end-user, agent, admin) and custom role. On input "
                "each value is matched case-insensitively against /Roles; the highest built-in "
                "role and at most one custom role are kept; a custom role implies agent."
            ),
            multi_valued=True,
            sub_attributes=[
                attribute("value", description="A role value from /Roles."),
                attribute("display", mutability="readOnly"),
                attribute("type", canonical_values=["builtin", "custom"]),
                attribute("primary", "boolean"),
            ],
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{CORE_USER}"},
}

ENTERPRISE_USER_SCHEMA = {
    "schemas": [SCHEMA],
    "id": ENTERPRISE_USER,
    "name": "EnterpriseUser",
    "description": "Enterprise User",
    "attributes": [
        attribute("employeeNumber"),
        attribute("costCenter"),
        attribute("organization"),
        attribute("division"),
        attribute("department"),
        attribute(
            "manager",
            "complex",
            description="The user's manager: a user of the same account, by id.",
            sub_attributes=[
                attribute("value", description="The manager's id.", case_exact=True),
                attribute("$ref", "reference", reference_types=["User"]),
                attribute("displayName", mutability="readOnly"),
            ],
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{ENTERPRISE_USER}"},
}

GROUP_SCHEMA = {
    "schemas": [SCHEMA],
    "id": CORE_GROUP,
    "name": "Group",
    "description": "Group of agents",
    "attributes": [
        _ID,
        attribute(
            "displayName",
            description="The group's name, unique in the account (any case).",
            required=True,
            uniqueness="server",
        ),
        attribute(
            "externalId", description="The client's identifier for the group.", case_exact=True
        ),
        attribute(
            "members",
            "complex",
            description="Agents in the group; end-users cannot be members.",
            multi_valued=True,
            sub_attributes=[
                attribute(
                    "value",
                    description="The member's user id.",
                    case_exact=True,
                    mutability="immutable",
                ),
                attribute("$ref", "reference", mutability="immutable", reference_types=["User"]),
                attribute("display", mutability="readOnly"),
                attribute("type", mutability="immutable", canonical_values=["User"]),
            ],
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{CORE_GROUP}"},
}

ROLE_SCHEMA = {
    "schemas": [SCHEMA],
    "id": ROLE,
    "name": "Role",
    "description": "A role of the account: one of the built-in roles or a custom role (read-only)",
    "attributes": [
        _ID,
        attribute(
            "displayName",
            description="The role's name.",
            mutability="readOnly",
            uniqueness="server",
        ),
        attribute(
            "value",
            description="What to send in a user's roles to assign this role.",
            mutability="readOnly",
            uniqueness="server",
        ),
        attribute("description", mutability="readOnly"),
        attribute(
            "type",
            description="builtin or custom.",
            mutability="readOnly",
            canonical_values=["builtin", "custom"],
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{ROLE}"},
}

SCHEMAS = {
    schema["id"]: schema
    for schema in (USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, ROLE_SCHEMA)
}

RESOURCE_TYPES = {
    "User": {
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"},
    },
    "Group": {
        "schemas": [RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group of agents",
        "schema": CORE_GROUP,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"},
    },
    "Role": {
        "schemas": [RESOURCE_TYPE],
        "id": "Role",
        "name": "Role",
        "endpoint": "/Roles",
        "description": "The account's roles (read-only), to assign in a user's roles",
        "schema": ROLE,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Role"},
    },
}
