"""The discovery documents (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

import copy

from django.conf import settings
from django.urls import reverse

from apps.roles.models import Role
from apps.scim.media import SCIM_PATH
from apps.scim.schemas import CORE_USER, SCHEMAS, SERVICE_PROVIDER_CONFIG
from apps.scim.serializers import list_response


def absolute(request, resource: dict) -> dict:
    """A copy of `resource` whose meta.location is an absolute URL."""
    resource = copy.deepcopy(resource)
    resource["meta"]["location"] = request.build_absolute_uri(resource["meta"]["location"])
    return resource


def discovery_list(request, resources: list[dict]) -> dict:
    resources = [absolute(request, r) for r in resources]
    return list_response(resources, total=len(resources), start_index=1)


def service_provider_config(request) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": request.build_absolute_uri(reverse("scim_reference")),
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API token",
                "description": "Authorization: Bearer <API token> from Settings → API.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": request.build_absolute_uri(f"{SCIM_PATH}ServiceProviderConfig"),
        },
    }


def schemas_for(tenant) -> dict[str, dict]:
    """The schemas, with the tenant's role values as the canonical values of roles.value."""
    schemas = copy.deepcopy(SCHEMAS)
    roles = next(a for a in schemas[CORE_USER]["attributes"] if a["name"] == "roles")
    value = next(a for a in roles["subAttributes"] if a["name"] == "value")
    value["canonicalValues"] = [role.value for role in Role.objects.for_tenant(tenant)]
    return schemas


def named(resources: dict[str, dict], name: str) -> dict | None:
    """The resource whose key is `name`, in any case."""
    return next((r for key, r in resources.items() if key.lower() == name.lower()), None)
