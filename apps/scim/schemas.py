"""What /Schemas and /ResourceTypes say, derived from the attribute map (RFC 7643 §6, §7)."""

from __future__ import annotations

from apps.scim.mapping import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    RESOURCES,
    ROLE,
    Attribute,
    Kind,
    Resource,
)
from apps.scim.media import SCIM_PATH

__all__ = ["CORE_GROUP", "CORE_USER", "ENTERPRISE_USER", "ROLE"]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

SCHEMA_NAMES = {ENTERPRISE_USER: ("EnterpriseUser", "Enterprise User")}
RESOURCE_TYPE_DESCRIPTIONS = {
    "Role": "The account's roles (read-only), to assign in a user's roles"
}


def definition(attribute: Attribute) -> dict:
    """One attribute definition with every characteristic spelled out (RFC 7643 §7)."""
    described = {
        "name": attribute.name,
        "type": attribute.type,
        "multiValued": attribute.multi_valued,
        "description": attribute.description or attribute.name,
        "required": attribute.required,
        "caseExact": attribute.case_exact,
        "mutability": attribute.mutability,
        "returned": attribute.returned,
        "uniqueness": attribute.uniqueness,
    }
    if attribute.sub_attributes:
        described["subAttributes"] = [definition(sub) for sub in attribute.sub_attributes]
    if attribute.canonical_values is not None:
        described["canonicalValues"] = list(attribute.canonical_values)
    if attribute.reference_types is not None:
        described["referenceTypes"] = list(attribute.reference_types)
    return described


def schema_of(resource: Resource, urn: str) -> dict:
    name, description = SCHEMA_NAMES.get(urn, (resource.name, resource.description))
    return {
        "schemas": [SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        # meta is common to every resource (RFC 7643 §3.1), not part of a schema.
        "attributes": [
            definition(attribute)
            for attribute in resource.schemas[urn]
            if attribute.kind is not Kind.META
        ],
        "meta": {"resourceType": "Schema", "location": f"{SCIM_PATH}Schemas/{urn}"},
    }


def resource_type(resource: Resource) -> dict:
    return {
        "schemas": [RESOURCE_TYPE],
        "id": resource.name,
        "name": resource.name,
        "endpoint": f"/{resource.name}s",
        "description": RESOURCE_TYPE_DESCRIPTIONS.get(resource.name, resource.description),
        "schema": resource.schema,
        "schemaExtensions": [{"schema": urn, "required": False} for urn in resource.extensions],
        "meta": {
            "resourceType": "ResourceType",
            "location": f"{SCIM_PATH}ResourceTypes/{resource.name}",
        },
    }


SCHEMAS = {
    urn: schema_of(resource, urn) for resource in RESOURCES.values() for urn in resource.schemas
}
RESOURCE_TYPES = {name: resource_type(resource) for name, resource in RESOURCES.items()}
