from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone

from apps.roles.models import BuiltinRole
from apps.tokens.services import (
    DESCRIPTION_MAX_LENGTH,
    EXPIRY_CHOICES_DAYS,
    MAX_LIFETIME_CHOICES_DAYS,
    PROVISIONING_ROLES,
)

NEVER = "never"
ON_A_DATE = "date"
# How long "Replace" keeps the old token working beside the new one, in hours (at most
# MAX_OVERLAP, which the service checks).
OVERLAP_CHOICES = [(1, "1 hour"), (24, "1 day"), (72, "3 days"), (168, "7 days")]


class TokenAddForm(forms.Form):
    """The "Add API token" button: only a one-time nonce."""

    # A fresh random value per rendered button; the token row keeps it, so the same form
    # submitted twice (double click, refresh, back button) generates one token.
    nonce = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{32,64}$",
        widget=forms.HiddenInput,
        error_messages={"invalid": "This form is out of date; submit it again."},
    )


def _description_field() -> forms.CharField:
    return forms.CharField(
        label="API token description",
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="What the token is for, e.g. “Microsoft Entra ID provisioning”. "
        f"At most {DESCRIPTION_MAX_LENGTH} characters, and not the description of another "
        "active token.",
        error_messages={
            "required": "Enter a description for the token.",
            "max_length": f"The description is at most {DESCRIPTION_MAX_LENGTH} characters.",
        },
    )


class TokenSaveForm(forms.Form):
    """The dialog's Save: description, expiry and, for a replacement, the overlap.

    `secret` is the generated token the page showed, posted back so that a refused Save
    can show it again; the view shows it only if it matches the token's digest.
    """

    description = _description_field()
    expires = forms.ChoiceField(label="Expires", required=False)
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When “On a date” is chosen: the token stops at 00:00 UTC that day.",
    )
    overlap_hours = forms.TypedChoiceField(
        label="Keep the old token working for",
        coerce=int,
        choices=OVERLAP_CHOICES,
        initial=24,
        required=False,
        help_text="Both tokens work until then, so Microsoft Entra ID can move to the new "
        "one without a failed cycle; then the old one is refused.",
    )
    secret = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        max_days = tenant.token_max_lifetime_days
        choices = [] if max_days else [(NEVER, "Never")]
        choices += [
            (str(days), f"In {days} days")
            for days in EXPIRY_CHOICES_DAYS
            if not max_days or days <= max_days
        ]
        choices.append((ON_A_DATE, "On a date"))
        expires = cast(forms.ChoiceField, self.fields["expires"])
        expires.choices = choices
        expires.initial = choices[-2][0] if max_days else NEVER
        if max_days:
            latest = timezone.now() + timedelta(days=max_days)
            self.fields["expires_on"].widget.attrs["max"] = f"{latest:%Y-%m-%d}"
            expires.help_text = f"This account’s tokens expire within {max_days} days."

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        expires = cleaned.get("expires") or NEVER
        cleaned["expires_in_days"] = int(expires) if expires.isdigit() else None
        if expires == ON_A_DATE and not cleaned.get("expires_on"):
            self.add_error("expires_on", "Choose the date the token expires.")
        if expires != ON_A_DATE:
            cleaned["expires_on"] = None
        return cleaned


class TokenDescriptionForm(forms.Form):
    """A saved token's description, on its page; ids of its own, since the show-once
    dialog (opened on the same page by Replace) has a description field too."""

    description = _description_field()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "edit_%s")
        super().__init__(*args, **kwargs)


class TokenLifetimeForm(forms.Form):
    max_days = forms.TypedChoiceField(
        label="Longest token lifetime",
        coerce=int,
        empty_value=None,
        choices=[("", "No maximum")]
        + [(days, f"{days} days") for days in MAX_LIFETIME_CHOICES_DAYS],
        required=False,
        help_text="New tokens must expire within this many days; tokens already made keep "
        "their expiry.",
    )


class TokenAccessForm(forms.Form):
    token_access = forms.BooleanField(
        label="Token Access",
        required=False,
        help_text="When off, every API token of this account is refused with 401.",
    )


class ProvisioningRoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role for users created without a role",
        choices=[(role, BuiltinRole(role).label) for role in PROVISIONING_ROLES],
        widget=forms.RadioSelect,
        help_text="Entra ID provisions staff, so agent is the usual choice; "
        "pick end-user if it provisions customers.",
    )


class ScimAdminGrantsForm(forms.Form):
    scim_may_grant_admin = forms.BooleanField(
        label="Let Entra ID make users admins",
        required=False,
        help_text="When off (the default), a SCIM request that gives someone the admin role "
        "is refused with 400; admins are made in Settings → Users. Turn it on only if "
        "Entra ID should manage who administers this account.",
    )
