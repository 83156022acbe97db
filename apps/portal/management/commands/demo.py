from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.portal.services import create_tenant, ensure_admin
from apps.tenants.models import Tenant
from apps.tokens.services import create_token, set_token_access

DEMO_PASSWORD = "commbox-demo-admin"


class Command(BaseCommand):
    help = (
        "Make a demo tenant ready to try (safe to run again): an admin who can sign in, "
        "Token Access on, and a fresh API token, printed with where to use them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subdomain", default="my-tenant")
        parser.add_argument("--name", default="My Tenant", help="Display name of a new tenant.")
        parser.add_argument("--admin", default="admin", help="The admin's username.")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="The admin's password.")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where the server will listen."
        )

    def handle(self, *args, subdomain, name, admin, password, url, **options):
        try:
            validate_password(password)
            with transaction.atomic():
                tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
                created = tenant is None
                if tenant is None:
                    tenant = create_tenant(
                        actor=None,
                        subdomain=subdomain,
                        admin_user_name=admin,
                        admin_password=password,
                        name=name,
                    )
                admin_user = ensure_admin(
                    tenant=tenant, actor=None, user_name=admin, password=password
                )
                set_token_access(tenant=tenant, actor=None, enabled=True)
                _token, secret = create_token(
                    tenant=tenant,
                    actor=None,
                    # Each run prints a fresh token; descriptions of active tokens differ.
                    description=f"Demo token {tenant.tokens.count() + 1} (manage.py demo)",
                    created_by=admin_user,
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

        base = url if url.endswith("/") else url + "/"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo tenant {tenant.subdomain!r} is ready"
                    f" ({'created' if created else 'reused'}).",
                    "",
                    f"  Open        {base}",
                    f"  Sign in     account {tenant.subdomain} · username {admin_user.user_name}"
                    f" · password {password}",
                    f"  Tenant URL  {base}scim/v2   (SCIM base URL for Microsoft Entra ID)",
                    f"  API token   {secret}",
                    "              (shown only here; Token Access is on)",
                    "",
                    "  Try it:",
                    f'  curl -H "Authorization: Bearer {secret}" \\',
                    f"       {base}scim/v2/ServiceProviderConfig",
                    "",
                ]
            )
        )
