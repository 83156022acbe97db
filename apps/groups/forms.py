from django import forms


class GroupForm(forms.Form):
    display_name = forms.CharField(label="Name", max_length=255)


class AddMemberForm(forms.Form):
    user_id = forms.UUIDField(widget=forms.HiddenInput)


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label="Find agents",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, username or email"}),
    )
