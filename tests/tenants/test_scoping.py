import pytest
from django.http import Http404

from apps.groups.models import Group
from apps.tenants.scoping import save_with_version
from apps.users.models import User
from tests.factories import GroupFactory


def test_get_for_finds_the_tenants_row_by_public_id(tenant, agent):
    assert User.objects.get_for(tenant, agent.public_id) == agent


def test_get_for_answers_404_for_another_tenants_row(tenant, outsider):
    with pytest.raises(Http404):
        User.objects.get_for(tenant, outsider.public_id)


def test_get_for_answers_404_for_an_id_that_is_not_a_uuid(tenant):
    with pytest.raises(Http404):
        Group.objects.get_for(tenant, "not-a-uuid")


def test_save_with_version_counts_on_from_the_version_in_hand(tenant):
    group = GroupFactory(tenant=tenant, display_name="Sales")

    save_with_version(group, {"display_name": "Support"})

    stored = Group.objects.get(pk=group.pk)
    assert (stored.display_name, stored.version, group.version) == ("Support", 2, 2)


def test_save_with_version_counts_on_from_the_stored_version_after_another_change(tenant):
    group = GroupFactory(tenant=tenant, display_name="Sales")
    Group.objects.filter(pk=group.pk).update(version=5)

    save_with_version(group, {"display_name": "Support"})

    stored = Group.objects.get(pk=group.pk)
    assert (stored.display_name, stored.version, group.version) == ("Support", 6, 6)
