from typing import cast
from uuid import UUID

from django import forms
from django.db.models.functions import Lower

from apps.roles.models import BuiltinRole, Role


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=255,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, username or email",
                "title": "Matches username, name, email or external ID",
            }
        ),
    )
    role = forms.ChoiceField(label="Role", required=False)
    active = forms.ChoiceField(
        label="Active",
        required=False,
        choices=[("", "Any"), ("yes", "Active"), ("no", "Inactive")],
    )
    # A name to type, not a list to pick from: a list of every group grows with the account
    # (10,000 options would be most of the page and of its time).
    group = forms.CharField(
        label="Group",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "Exact group name"}),
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("name", "Username, A to Z"),
            ("-name", "Username, Z to A"),
            ("role", "Role, admins first"),
            ("-role", "Role, end-users first"),
            ("source", "Source, A to Z"),
            ("-source", "Source, Z to A"),
            ("-last_sign_in", "Last sign-in, newest first"),
            ("last_sign_in", "Last sign-in, never and oldest first"),
        ],
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        custom_roles = Role.objects.for_tenant(tenant).custom().order_by(Lower("name"))
        cast(forms.ChoiceField, self.fields["role"]).choices = [
            ("", "Any role"),
            *BuiltinRole.choices,
            ("Custom roles", [(str(r.public_id), r.name) for r in custom_roles]),
        ]
        self.tenant = tenant

    def clean_group(self):
        """The named group (a link may give its id instead); None for any group."""
        value = self.cleaned_data["group"].strip()
        if not value:
            return None
        # Groups are above users: reached through the tenant's reverse relation.
        groups = self.tenant.groups.annotate(name=Lower("display_name"))
        match = groups.filter(name=value.lower())
        if _is_uuid(value):
            match = groups.filter(public_id=value) | match
        group = match.first()
        if group is None:
            raise forms.ValidationError(f"This account has no group called {value}.")
        return group


class UserRoleForm(forms.Form):
    """Role and custom role together; the view passes on only what the admin changed."""

    role = forms.ChoiceField(
        label="Role",
        choices=BuiltinRole.choices,
        help_text="Making someone an end-user takes away their custom role.",
    )
    custom_role = forms.ModelChoiceField(
        label="Custom role",
        queryset=Role.objects.none(),
        required=False,
        to_field_name="public_id",
        empty_label="None",
        help_text="A custom role makes its holder an agent.",
    )

    def __init__(self, *args, tenant, user, **kwargs):
        kwargs.setdefault("initial", {"role": user.role, "custom_role": user.custom_role})
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["custom_role"]).queryset = (
            Role.objects.for_tenant(tenant).custom().order_by(Lower("name"))
        )

    def changed_attributes(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.changed_data}
