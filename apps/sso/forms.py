from typing import cast

from django import forms

from apps.sso.models import MatchBy

PEM_HELP = (
    "Entra's SAML Certificates → Certificate (Base64), opened in a text editor. Paste "
    "several to trust them all during a rollover."
)


class MetadataUploadForm(forms.Form):
    metadata_file = forms.FileField(
        label="Federation Metadata XML",
        help_text="Entra: Single sign-on → SAML Certificates → Federation Metadata XML → Download.",
    )

    def clean_metadata_file(self):
        upload = self.cleaned_data["metadata_file"]
        limit = 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError("The file is larger than 1 MB; is it the metadata XML?")
        return upload.read()


class MetadataUrlForm(forms.Form):
    metadata_url = forms.URLField(
        label="App Federation Metadata URL",
        max_length=1000,
        assume_scheme="https",
        help_text="Entra: Single sign-on → SAML Certificates → App Federation Metadata Url. "
        "Read now and on Refresh, so a new certificate is picked up.",
    )


class ManualIdpForm(forms.Form):
    idp_entity_id = forms.CharField(
        label="Microsoft Entra Identifier",
        max_length=500,
        help_text="Entra: Set up <app> → Microsoft Entra Identifier (https://sts.windows.net/…/).",
    )
    idp_sso_url = forms.URLField(
        label="Login URL",
        max_length=1000,
        assume_scheme="https",
        help_text="Entra: Set up <app> → Login URL.",
    )
    idp_slo_url = forms.URLField(
        label="Logout URL",
        max_length=1000,
        assume_scheme="https",
        required=False,
        help_text="Entra: Set up <app> → Logout URL. Empty: signing out here stays local.",
    )
    certificates = forms.CharField(
        label="Signing certificate(s)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=PEM_HELP,
    )

    def clean_certificates(self):
        text = self.cleaned_data["certificates"]
        marker = "-----END CERTIFICATE-----"
        if marker not in text:
            return [text]
        return [part + marker for part in text.split(marker) if part.strip()]


class SsoOptionsForm(forms.Form):
    enabled = forms.BooleanField(label="Single sign-on", required=False)
    idp_initiated = forms.BooleanField(
        label="Allow IdP-initiated sign-in",
        required=False,
        help_text="Lets people start from the My Apps tile. Off: only sign-ins started here.",
    )
    require_sso = forms.BooleanField(
        label="Require SSO",
        required=False,
        help_text="Password sign-in is refused for everyone except admins, who keep a "
        "break-glass password.",
    )
    sign_requests = forms.BooleanField(
        label="Sign sign-in requests",
        required=False,
        help_text="Signs each AuthnRequest with this account's own certificate (in the "
        "service provider metadata). Entra: SAML Certificates → Verification certificates.",
    )
    require_signed_logout = forms.BooleanField(
        label="Require signed logout requests",
        required=False,
        help_text="Refuses LogoutRequests from the identity provider that are not signed by "
        "one of its certificates. Off: an unsigned one is accepted only in the very browser "
        "session it names, and ends only that session.",
    )
    match_by = forms.ChoiceField(
        label="Match people on", choices=MatchBy.choices, widget=forms.RadioSelect
    )


class AgentCreationForm(forms.Form):
    """Just-in-time agents: made on first sign-in, holding a default custom role."""

    creates_agents = forms.BooleanField(label="Create agents on first sign-in", required=False)
    new_agent_role: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Default permission profile",
        queryset=None,
        required=False,
        to_field_name="public_id",
        empty_label="None (a plain agent)",
        help_text="The custom role each new agent holds, assigned directly.",
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["new_agent_role"])
        field.queryset = tenant.roles.filter(builtin="").order_by("name")
