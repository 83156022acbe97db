import json
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from apps.sso import services
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Print, as one JSON object, the values to enter in Entra for an account's SSO."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument(
            "--base-url",
            required=True,
            help="how people reach the product, e.g. https://my-tenant.commbox.example",
        )

    def handle(self, *args, subdomain, base_url, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant has the subdomain "{subdomain}".')
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
            raise CommandError(
                f'The base URL must be like https://host[:port] with no path, not "{base_url}".'
            )
        host_subdomain = tenant_subdomain_of_host(parts.netloc)
        if host_subdomain is not None and host_subdomain != tenant.subdomain:
            raise CommandError(
                f"{parts.netloc} is the address of the account {host_subdomain}, "
                f"not of {tenant.subdomain}."
            )
        sp = services.service_provider(tenant, f"{parts.scheme}://{parts.netloc}")
        self.stdout.write(
            json.dumps(
                {
                    "entity_id": sp.entity_id,
                    "acs_url": sp.acs_url,
                    "sign_on_url": sp.sign_on_url,
                    "metadata_url": sp.metadata_url,
                    "logout_url": sp.slo_url,
                }
            )
        )
