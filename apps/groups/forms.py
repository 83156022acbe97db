from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError


class GroupForm(forms.Form):
    display_name = forms.CharField(label="Name", max_length=255)


class PublicIdsField(forms.Field):
    """The public ids of the ticked rows (every value of the field's name in the POST)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Tick at least one row.",
        "invalid": "This list is not one this page sent; reload the page.",
    }

    def to_python(self, value) -> list[UUID]:
        ids = []
        for item in value or ():
            try:
                ids.append(UUID(str(item)))
            except ValueError as error:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        return list(dict.fromkeys(ids))


class AddMembersForm(forms.Form):
    """Several agents at once: the ids of the ticked rows."""

    user_id = PublicIdsField(
        error_messages={
            "required": "Tick at least one agent to add.",
            "invalid": "This list of users is not one this page sent; reload the page.",
        }
    )


class AddToGroupsForm(forms.Form):
    """One user into several groups: the ids of the ticked groups."""

    group_id = PublicIdsField(
        error_messages={
            "required": "Tick at least one group.",
            "invalid": "This list of groups is not one this page sent; reload the page.",
        }
    )


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label="Find agents",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, username or email"}),
    )
