from django import forms

from apps.audit.models import AuditAction, Channel

TARGET_TYPES = [
    ("user", "User"),
    ("group", "Group"),
    ("role", "Role"),
    ("apitoken", "API token"),
    ("tenant", "Account"),
]


class ActivityFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "Any channel"), *Channel.choices]
    )
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditAction.choices]
    )
    target_type = forms.ChoiceField(
        label="Target type", required=False, choices=[("", "Anything"), *TARGET_TYPES]
    )
    target = forms.CharField(
        label="Target",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or id"}),
    )

    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_target(self):
        return self.cleaned_data["target"].strip()

    def clean(self):
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
