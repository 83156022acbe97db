from django import forms

from apps.roles.models import BuiltinRole
from apps.tokens.services import PROVISIONING_ROLES


class TokenAddForm(forms.Form):
    """The "Add API token" button: only a one-time nonce."""

    # A fresh random value per rendered button; the token row keeps it, so the same form
    # submitted twice (double click, refresh, back button) generates one token.
    nonce = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{32,64}$",
        widget=forms.HiddenInput,
        error_messages={"invalid": "This form is out of date; submit it again."},
    )


class TokenSaveForm(forms.Form):
    description = forms.CharField(
        label="API token description",
        max_length=100,
        help_text="What the token is for, e.g. “Microsoft Entra ID provisioning”. "
        "At most 100 characters.",
        error_messages={"max_length": "The description is at most 100 characters."},
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
