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
