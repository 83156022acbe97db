from django.core.management.base import BaseCommand, CommandError

from apps.tenants.models import Tenant
from apps.tokens.services import set_token_access


class Command(BaseCommand):
    help = "Switch a tenant's Token Access on or off."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("state", help="on or off")

    def handle(self, *args, subdomain, state, **options):
        state = state.strip().lower()
        if state not in ("on", "off"):
            raise CommandError(f'The state must be "on" or "off", not "{state}".')
        tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant has the subdomain "{subdomain}".')
        set_token_access(tenant=tenant, actor=None, enabled=state == "on")
        self.stdout.write(f"Token Access is {state} for {tenant.subdomain}.")
