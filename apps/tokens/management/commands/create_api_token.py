from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.tenants.models import Tenant
from apps.tokens.services import create_token
from apps.users.services import find_user_by_name


class Command(BaseCommand):
    help = "Create an API token for a tenant and print it, alone, on standard output."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--description", required=True, help="What the token is for.")
        parser.add_argument(
            "--created-by",
            dest="created_by",
            default="",
            help="userName shown as the token's creator (a user of the tenant).",
        )

    def handle(self, *args, subdomain, description, created_by, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant has the subdomain "{subdomain}".')
        creator = None
        if created_by:
            creator = find_user_by_name(tenant, created_by.strip())
            if creator is None:
                raise CommandError(f'No user "{created_by}" in tenant {tenant.subdomain}.')
        try:
            _token, secret = create_token(
                tenant=tenant, actor=None, description=description, created_by=creator
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        # The secret alone, so that scripts can capture it; it is not stored anywhere.
        self.stdout.write(secret)
        if not tenant.has_token_access:
            self.stderr.write(
                f"Note: Token Access is off for {tenant.subdomain}; "
                f"run `manage.py token_access {tenant.subdomain} on` before using the token."
            )
