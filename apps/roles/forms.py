from typing import cast

from django import forms

from apps.roles.models import Role


class RoleForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=Role._meta.get_field("name").max_length,
        help_text="Must not look like end-user, agent or admin.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=Role._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GroupRoleLinkForm(forms.Form):
    """Link one of the account's groups to one of its custom roles."""

    group: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Group", queryset=None, to_field_name="public_id", empty_label="Choose a group"
    )
    role = forms.ModelChoiceField(
        label="Custom role",
        queryset=Role.objects.none(),
        to_field_name="public_id",
        empty_label="Choose a custom role",
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        # The groups app sits above roles: the tenant's reverse relation lists its groups.
        fields = cast(dict[str, forms.ModelChoiceField], self.fields)
        fields["group"].queryset = tenant.groups.order_by("display_name", "pk")
        fields["role"].queryset = Role.objects.for_tenant(tenant).custom().order_by("name")
