from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.sso import services
from apps.sso.models import MatchBy
from apps.tenants.models import Tenant


def on_off(value: str) -> bool:
    value = value.strip().lower()
    if value not in ("on", "off"):
        raise CommandError(f'Expected "on" or "off", not "{value}".')
    return value == "on"


class Command(BaseCommand):
    help = "Configure an account's SAML single sign-on from the IdP's metadata (file or URL)."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument(
            "--idp-metadata",
            required=True,
            metavar="FILE_OR_URL",
            help="Entra's Federation Metadata XML file, or its App Federation Metadata URL",
        )
        parser.add_argument(
            "--match", metavar="name-id|email|object-id", help="how users are matched"
        )
        parser.add_argument("--idp-initiated", metavar="on|off")
        parser.add_argument("--require-sso", metavar="on|off")
        parser.add_argument(
            "--sign-requests", metavar="on|off", help="sign AuthnRequests with the account's key"
        )
        switch = parser.add_mutually_exclusive_group()
        switch.add_argument("--enable", action="store_true", help="switch single sign-on on")
        switch.add_argument("--disable", action="store_true", help="switch single sign-on off")

    def handle(self, *args, subdomain, idp_metadata, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.strip().lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant has the subdomain "{subdomain}".')
        if options["match"] is not None and options["match"] not in MatchBy.values:
            raise CommandError(
                f'--match must be name-id, email or object-id, not "{options["match"]}".'
            )
        # Parse the switches before changing anything, so bad input changes nothing.
        switches = {
            name: on_off(options[name]) if options[name] is not None else None
            for name in ("idp_initiated", "require_sso", "sign_requests")
        }
        try:
            with transaction.atomic():
                load_metadata(tenant, idp_metadata)
                sso_settings = apply_options(tenant, options, **switches)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(summary(tenant, sso_settings))


def load_metadata(tenant, source: str) -> None:
    """Federation metadata from an http(s) URL or a file."""
    if source.lower().startswith(("https://", "http://")):
        services.configure_from_metadata_url(tenant=tenant, actor=None, url=source)
        return
    path = Path(source)
    if not path.is_file():
        raise CommandError(f'"{source}" is neither a file nor an http(s) URL.')
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=path.read_bytes())


def apply_options(tenant, options, *, idp_initiated, require_sso, sign_requests):
    """The switches given on the command line; the others keep their current values."""
    current = services.get_sso_settings(tenant)
    enabled = current.enabled_at is not None
    if options["enable"] or options["disable"]:
        enabled = bool(options["enable"])
    return services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=enabled,
        idp_initiated=current.allows_idp_initiated if idp_initiated is None else idp_initiated,
        require_sso=(current.sso_required_at is not None) if require_sso is None else require_sso,
        match_by=options["match"] or current.match_by,
        sign_requests=sign_requests,  # None keeps it as it is
    )


def summary(tenant, sso_settings) -> str:
    certificates = sso_settings.certificates.count()
    return (
        f"SSO for {tenant.subdomain}: IdP {sso_settings.idp_entity_id}, "
        f"{certificates} signing certificate{'s' if certificates != 1 else ''}, "
        f"match {sso_settings.match_by}, "
        f"IdP-initiated {'on' if sso_settings.allows_idp_initiated else 'off'}, "
        f"require SSO {'on' if sso_settings.sso_required_at else 'off'}, "
        f"{'enabled' if sso_settings.is_enabled else 'disabled'}."
    )
