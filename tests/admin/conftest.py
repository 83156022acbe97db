import pytest
from django.contrib.auth.models import Group as PermissionGroup

from tests.factories import StaffFactory


@pytest.fixture
def superuser(db):
    return StaffFactory(user_name="root", is_superuser=True)


@pytest.fixture
def support_member(db):
    """Platform staff in the "Support" group that the data migration creates."""
    user = StaffFactory(user_name="support")
    user.groups.add(PermissionGroup.objects.get(name="Support"))
    return user


def changeform_data(response) -> dict:
    """What a browser posts for the admin form on the page, as it was rendered."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        _add_form(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _add_form(data, form)
    return data


def _add_form(data, form):
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
