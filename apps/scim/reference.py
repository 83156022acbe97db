"""The SCIM reference for people, at the URL ServiceProviderConfig's documentationUri names.

Built from what the server runs on, so it cannot drift: the attributes from the attribute
map (mapping.py), the error bodies from the exception handler (exceptions.py), the rate
limits from settings. The examples below are sent by the tests (tests/scim/test_reference.py)
to the API, which must accept every filter and PATCH shown and answer every error as shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from rest_framework import exceptions

from apps.scim.exceptions import (
    ScimError,
    body_too_large,
    database_unavailable,
    scim_exception_handler,
)
from apps.scim.mapping import ENTERPRISE_USER, RESOURCES, Attribute, Kind, Resource
from apps.scim.media import SCIM_PATH
from apps.scim.throttling import RateLimited
from apps.tenants.rates import parse_rate

# The id the examples use (RFC 7644's); the tests put a real one in its place.
EXAMPLE_ID = "2819c223-7f76-453a-919d-413861904646"
MANAGER_ID = "26118915-6090-4610-87e4-49d8ca9f808d"

# What Entra's default attribute mappings send (Microsoft's tutorial, "Attribute mappings";
# /work/shared/docs/entra-scim.md §4): "yes" by default, "if mapped" when an admin adds the
# mapping. Paths are lower-case, sub-attributes after a dot.
ENTRA_SENDS = {
    "User": {
        "username": "yes",
        "externalid": "yes",
        "active": "yes",
        "displayname": "yes",
        "title": "yes",
        "name": "yes",
        "name.givenname": "yes",
        "name.familyname": "yes",
        "name.formatted": "yes",
        "emails": "yes",
        "emails.value": "yes",
        "emails.type": "yes",
        "emails.primary": "yes",
        "phonenumbers": "yes",
        "phonenumbers.value": "yes",
        "phonenumbers.type": "yes",
        "addresses": "yes",
        "addresses.formatted": "yes",
        "addresses.streetaddress": "yes",
        "addresses.postalcode": "yes",
        "addresses.type": "yes",
        "preferredlanguage": "if mapped",
        "roles": "if mapped",
        "roles.value": "if mapped",
        "roles.primary": "if mapped",
        "employeenumber": "yes",
        "department": "yes",
        "costcenter": "if mapped",
        "organization": "if mapped",
        "division": "if mapped",
        "manager": "yes",
        "manager.value": "yes",
    },
    "Group": {
        "externalid": "yes",
        "displayname": "yes",
        "members": "yes",
        "members.value": "yes",
    },
    "Role": {},
}


@dataclass(frozen=True)
class AttributeRow:
    path: str  # userName, name.givenName
    anchor: str  # user-name-givenname: the row's id on the page
    schema: str
    attribute: Attribute
    entra: str

    @property
    def returned(self) -> str:
        return self.attribute.returned


def attribute_rows(resource: Resource) -> list[AttributeRow]:
    """Every attribute and sub-attribute of the resource, in map order."""
    sends = ENTRA_SENDS[resource.name]
    rows = []
    for urn, attribute in resource.attributes():
        if attribute.kind is Kind.META:
            continue
        schema = "Enterprise User extension" if urn == ENTERPRISE_USER else "core"
        rows.append(_row(resource, schema, attribute.name, attribute, sends))
        for sub in attribute.sub_attributes:
            rows.append(_row(resource, schema, f"{attribute.name}.{sub.name}", sub, sends))
    return rows


def _row(resource, schema: str, path: str, attribute: Attribute, sends: dict) -> AttributeRow:
    anchor = f"{resource.name}-{path}".lower().replace(".", "-").replace("$", "")
    return AttributeRow(path, anchor, schema, attribute, sends.get(path.lower(), "no"))


# Filters: (resource, filter, what it finds). Entra's own first.
FILTER_EXAMPLES = [
    ("User", 'userName eq "grace@contoso.com"', "Entra's lookup before it creates a user."),
    ("User", 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', "Matching on externalId."),
    ("User", 'emails[type eq "work"].value eq "grace@contoso.com"', "Matching on work email."),
    (
        "User",
        f'id eq "{EXAMPLE_ID}" and manager eq "{MANAGER_ID}"',
        "Entra's check that a user's manager is already set.",
    ),
    ("User", 'displayName sw "Gra" and active eq true', "Any attribute of the map, combined."),
    ("User", 'meta.lastModified gt "2026-01-01T00:00:00Z"', "Changed since a time."),
    ("Group", 'displayName eq "Tier 2"', "Entra's lookup before it creates a group."),
    (
        "Group",
        f'id eq "{EXAMPLE_ID}" and members eq "{MANAGER_ID}"',
        "Entra's check that a user is a member.",
    ),
    ("Role", 'value eq "Tier_2_Specialist"', "A role by the value Entra sends in roles."),
]
FILTER_OPERATORS = "eq ne co sw ew gt ge lt le pr, and, or, not, ( ) and [ ] value filters"


@dataclass(frozen=True)
class PatchExample:
    title: str
    form: str  # "Entra" or "RFC 7644"
    resource: str
    operations: list[dict[str, Any]]

    @property
    def body(self) -> str:
        schemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
        return json.dumps({"schemas": schemas, "Operations": self.operations}, indent=2)


_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_EXAMPLES = [
    PatchExample(
        "Disable a user (string boolean, capitalised op)",
        "Entra",
        "User",
        [{"op": "Replace", "path": "active", "value": "False"}],
    ),
    PatchExample(
        "Change the work email (a value filter in the path)",
        "Entra",
        "User",
        [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "grace@contoso.com"}],
    ),
    PatchExample(
        "Set the manager (a bare id)",
        "Entra",
        "User",
        [{"op": "Add", "path": f"{_ENTERPRISE}:manager", "value": MANAGER_ID}],
    ),
    PatchExample(
        "Several attributes in one operation (dotted keys)",
        "Entra",
        "User",
        [
            {
                "op": "replace",
                "value": {
                    "displayName": "Grace Hopper",
                    "name.givenName": "Grace",
                    f"{_ENTERPRISE}:department": "Support",
                },
            }
        ],
    ),
    PatchExample(
        "Add and remove members (members listed in value)",
        "Entra",
        "Group",
        [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": EXAMPLE_ID}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": EXAMPLE_ID}]},
        ],
    ),
    PatchExample(
        "Replace attributes",
        "RFC 7644",
        "User",
        [
            {"op": "replace", "path": "name.familyName", "value": "Hopper"},
            {"op": "replace", "path": "active", "value": True},
        ],
    ),
    PatchExample(
        "Add a phone number",
        "RFC 7644",
        "User",
        [{"op": "add", "path": "phoneNumbers", "value": [{"type": "work", "value": "+1 555"}]}],
    ),
    PatchExample(
        "Remove one member (a value filter in the path)",
        "RFC 7644",
        "Group",
        [{"op": "remove", "path": f'members[value eq "{EXAMPLE_ID}"]'}],
    ),
]


@dataclass(frozen=True)
class ErrorCase:
    when: str
    error: Exception

    def answer(self) -> dict[str, Any]:
        """The status, headers and body the exception handler gives for this error."""
        response = scim_exception_handler(self.error, {})
        headers = {
            name: response[name]
            for name in ("Retry-After", "WWW-Authenticate")
            if response is not None and name in response
        }
        return {
            "status": response.status_code,
            "scim_type": response.data.get("scimType", ""),
            "headers": headers,
            "body": json.dumps(response.data, indent=2),
        }


def _error_cases() -> list[ErrorCase]:
    """One example of every kind of error the API answers, in the order a client meets them."""
    return [
        ErrorCase(
            "The Authorization header is missing, or names no active API token (revoked, or "
            "Token Access off).",
            exceptions.AuthenticationFailed("The API token has been revoked."),
        ),
        ErrorCase(
            "Too many requests from one API token, or too many failed sign-ins from one address.",
            RateLimited(wait=12),
        ),
        ErrorCase(
            "The body is not JSON, not UTF-8, too deep, or has a name twice.",
            ScimError(
                "The request body is not valid JSON: Expecting value.", scim_type="invalidSyntax"
            ),
        ),
        ErrorCase(
            "A filter that cannot be parsed, or names an attribute that is not filterable.",
            ScimError(
                "Filter 'userName eq' is not valid: a value is missing.", scim_type="invalidFilter"
            ),
        ),
        ErrorCase(
            "A PATCH path that names no attribute, or a filter in a path that is not valid.",
            ScimError('Operation 1: "nickname.first" names no attribute.', scim_type="invalidPath"),
        ),
        ErrorCase(
            'A PATCH "remove" without a path.',
            ScimError('Operation 1: "remove" needs a "path".', scim_type="noTarget"),
        ),
        ErrorCase(
            "A value of the wrong type or out of range, a missing required attribute, or a "
            "change a rule of the account refuses (an admin grant, see below).",
            ValidationError("userName is required.", code="invalid"),
        ),
        ErrorCase(
            "A change to a read-only attribute (id, meta, a role's type) or removing a "
            "required one.",
            ScimError('"id" is read-only.', scim_type="mutability"),
        ),
        ErrorCase(
            "A userName, group displayName or externalId another resource of the account "
            "already has.",
            ValidationError(
                'A user with userName "grace@contoso.com" already exists.', code="unique"
            ),
        ),
        ErrorCase("A resource that does not exist, or belongs to another account.", Http404()),
        ErrorCase(
            "If-Match names a version that is no longer current.",
            ScimError(
                'The resource has changed: its version is W/"4", not W/"3". Read it again and '
                "retry.",
                status_code=412,
            ),
        ),
        ErrorCase(
            "A method the endpoint does not take (roles are read-only; see below).",
            exceptions.MethodNotAllowed("POST"),
        ),
        ErrorCase(
            "A body sent chunked, without Content-Length.",
            ScimError(
                "Send the body with a Content-Length header; a chunked body is not read.",
                status_code=411,
            ),
        ),
        ErrorCase("A body larger than the limit.", body_too_large()),
        ErrorCase(
            "Something the server does not do (searching every resource type at once).",
            ScimError(
                "Searching several resource types at once is not supported.", status_code=501
            ),
        ),
    ]


def rate_limits() -> list[dict[str, Any]]:
    limits = []
    for setting, who in [
        ("SCIM_RATE_LIMIT_PER_TOKEN", "requests per API token"),
        ("SCIM_RATE_LIMIT_FAILED_AUTH", "failed authentications per client address"),
    ]:
        rate = parse_rate(getattr(settings, setting))
        limits.append({"setting": setting, "who": who, "requests": rate.requests, "rate": rate})
    return limits


@require_GET
def page(request):
    """The SCIM reference: public, no sign-in (Entra admins read it before they have one)."""
    outage = database_unavailable()
    resources = [
        {
            "resource": resource,
            "endpoint": f"{SCIM_PATH}{resource.name}s",
            "rows": attribute_rows(resource),
        }
        for resource in RESOURCES.values()
    ]
    context = {
        "base_url": request.build_absolute_uri(SCIM_PATH),
        "resources": resources,
        "filters": FILTER_EXAMPLES,
        "filter_operators": FILTER_OPERATORS,
        "max_results": settings.SCIM_MAX_PAGE_SIZE,
        "patches": PATCH_EXAMPLES,
        "errors": [(case, case.answer()) for case in _error_cases()],
        "rate_limits": rate_limits(),
        "outage_retry_after": outage["Retry-After"],
        "outage_body": json.dumps(outage.data, indent=2),
    }
    return render(request, "scim/reference.html", context)
