from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.portal.services import create_tenant


class Command(BaseCommand):
    help = "Create a tenant with its built-in roles and a first admin who can sign in."

    def add_arguments(self, parser):
        parser.add_argument("subdomain", help="A DNS label, e.g. my-tenant.")
        parser.add_argument("--admin", required=True, help="The first admin's userName.")
        parser.add_argument("--password", required=True, help="The first admin's password.")
        parser.add_argument("--name", default="", help="Display name (default: the subdomain).")

    def handle(self, *args, subdomain, admin, password, name, **options):
        try:
            validate_password(password)
            tenant = create_tenant(
                actor=None,
                subdomain=subdomain,
                admin_user_name=admin,
                admin_password=password,
                name=name,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f'Created tenant "{tenant.name}" ({tenant.subdomain}) with admin "{admin.strip()}".'
        )
