import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.tenants.models import Tenant
from apps.tokens.services import create_token
from apps.users.services import find_user_by_name


def _days(value: str) -> int | None:
    """--expires-in: "never", or a whole number of days ("90", "90d")."""
    text = value.strip().lower()
    if text == "never":
        return None
    number = text.removesuffix("d")
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a number of days (such as 90 or 90d) or "never".'
        )
    return int(number)


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
        parser.add_argument(
            "--expires-in",
            dest="expires_in",
            default="never",
            type=_days,
            help='Days until the token expires ("90" or "90d"), or "never" (the default; '
            "refused when the account sets a longest lifetime).",
        )

    def handle(self, *args, subdomain, description, created_by, expires_in, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant has the subdomain "{subdomain}".')
        creator = None
        if created_by:
            creator = find_user_by_name(tenant, created_by.strip())
            if creator is None:
                raise CommandError(f'No user "{created_by}" in tenant {tenant.subdomain}.')
        try:
            token, secret = create_token(
                tenant=tenant,
                actor=None,
                description=description,
                created_by=creator,
                expires_in_days=expires_in,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        # The secret alone, so that scripts can capture it; it is not stored anywhere.
        self.stdout.write(secret)
        if token.expires_at is not None:
            self.stderr.write(f"The token expires at {token.expires_at:%Y-%m-%d %H:%M} UTC.")
        if not tenant.has_token_access:
            self.stderr.write(
                f"Note: Token Access is off for {tenant.subdomain}; "
                f"run `manage.py token_access {tenant.subdomain} on` before using the token."
            )
