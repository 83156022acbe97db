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
