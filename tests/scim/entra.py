"""The request bodies Microsoft Entra ID sends, as plain data (like tests/factories.py).

Shapes from Entra's provisioning tutorial, as summarised in ../shared/docs/entra-scim.md
(from the repository root; /work/shared/docs/ on the team machine), sections 2, 4 and 5.
"""

SCIM = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def patch_body(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def entra_user(user_name: str = "Test_User_1@contoso.com", **overrides) -> dict:
    """The create body Entra sends (tutorial "Create User"), with its read-only meta."""
    body = {
        "schemas": [CORE_USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
        "roles": [],
    }
    body.update(overrides)
    return body


def entra_group(display_name: str = "Sales") -> dict:
    return {
        "schemas": [CORE_GROUP, ADSCIM_GROUP],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": display_name,
        "meta": {"resourceType": "Group"},
    }
