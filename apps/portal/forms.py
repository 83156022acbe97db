from django import forms

from apps.tenants.models import subdomain_validator


class SignInForm(forms.Form):
    subdomain = forms.CharField(
        label="Account",
        max_length=63,
        help_text="Your account's subdomain, as in my-tenant.commbox.io.",
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "autocomplete": "organization", "spellcheck": "false"}
        ),
    )
    user_name = forms.CharField(
        label="Username",
        max_length=255,
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "autocomplete": "username", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_subdomain(self):
        subdomain = self.cleaned_data["subdomain"].strip().lower()
        subdomain_validator(subdomain)
        return subdomain
