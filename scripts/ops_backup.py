#!/usr/bin/env python3
"""Seeds an account for the backup check, and checks its tokens after the restore.

  ops_backup.py seed      # DATABASE_URL: prints {"token": ..., "revoked": ...} as JSON
  ops_backup.py verify TOKEN REVOKED   # DATABASE_URL: the restored database

seed goes through the services and SCIM, as Entra and an admin would: a tenant with its
admin, a custom role, agents and groups with members (seed_directory), users and a group
created, changed and deactivated over SCIM (audit rows, the SCIM request log), single
sign-on configured from an IdP's metadata with two signing certificates, one token saved
and one revoked. verify sends SCIM requests to the restored database: the saved token must
be served, the revoked one refused.
"""

import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbox_site.settings")
os.environ.setdefault("SCIM_REQUEST_LOG_FLUSH_SECONDS", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from apps.roles.services import create_role  # noqa: E402
from apps.sso.services import configure_from_metadata, set_sso_options  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tokens.models import ApiToken  # noqa: E402
from apps.tokens.services import create_token, revoke_token  # noqa: E402
from tests.scim import entra  # noqa: E402
from tests.sso.idp import TestIdp, make_signing_key  # noqa: E402


def scim(client: Client, token: str, method: str, path: str, body=None):
    response = getattr(client, method)(
        f"/scim/v2/{path}",
        json.dumps(body) if body is not None else None,
        content_type=entra.SCIM,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    if response.status_code >= 400:
        raise SystemExit(f"{method.upper()} {path}: {response.status_code} {response.content!r}")
    return response.json() if response.content else None


def seed() -> None:
    call_command("create_tenant", "backup", admin="admin", password="backup-check-pass-1")
    call_command("token_access", "backup", "on", stdout=io.StringIO())
    call_command(
        "seed_directory", "backup", users=300, groups=10, members=100, no_progress=True,
        stdout=io.StringIO(),
    )
    tenant = Tenant.objects.get(subdomain="backup")
    admin = tenant.users.get(user_name="admin")
    create_role(tenant=tenant, actor=admin, name="Tier 2 Specialist", description="Escalations")
    token, secret = create_token(tenant=tenant, actor=admin, description="Microsoft Entra ID")
    victim, revoked = create_token(tenant=tenant, actor=admin, description="Old connection")
    revoke_token(tenant=tenant, actor=admin, token=victim)

    client = Client(HTTP_HOST="localhost")
    ids = []
    for n in range(5):
        user = entra.entra_user(
            f"grace{n}@contoso.example", externalId=f"00000000-0000-4000-8000-{n:012d}"
        )
        user["roles"] = [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole",
                          "value": "Tier_2_Specialist"}]
        ids.append(scim(client, secret, "post", "Users", user)["id"])
    group = scim(client, secret, "post", "Groups", entra.entra_group("Escalations"))
    members = [{"value": i} for i in ids]
    scim(client, secret, "patch", f"Groups/{group['id']}",
         entra.patch_body({"op": "Add", "path": "members", "value": members}))
    scim(client, secret, "patch", f"Users/{ids[0]}",
         entra.patch_body({"op": "Replace", "path": "active", "value": "False"}))

    idp = TestIdp(keys=[make_signing_key(), make_signing_key()])
    configure_from_metadata(tenant=tenant, actor=admin, metadata=idp.metadata_xml())
    set_sso_options(tenant=tenant, actor=admin, enabled=True, idp_initiated=True,
                    require_sso=False, match_by="name-id")
    assert ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exists()
    print(json.dumps({"token": secret, "revoked": revoked}))


def verify(token: str, revoked: str) -> None:
    client = Client(HTTP_HOST="localhost")
    served = client.get("/scim/v2/Users?count=1", HTTP_AUTHORIZATION=f"Bearer {token}")
    refused = client.get("/scim/v2/Users?count=1", HTTP_AUTHORIZATION=f"Bearer {revoked}")
    total = served.json().get("totalResults") if served.status_code == 200 else None
    print(f"token saved before the backup: {served.status_code} ({total} users); "
          f"token revoked before the backup: {refused.status_code}")
    if served.status_code != 200 or refused.status_code != 401:
        raise SystemExit("FAILED: tokens after the restore")
    # The sequences came along: a new user gets an id no restored row has.
    scim(client, token, "post", "Users", entra.entra_user("after.restore@contoso.example"))
    print("a user created after the restore: 201")


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        seed()
    elif sys.argv[1:2] == ["verify"] and len(sys.argv) == 4:
        verify(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
