"""Role assignment: what a user holds after a change, decided in apps/roles/services.py."""

import pytest
from django.core.exceptions import ValidationError

from apps.roles.services import (
    RoleChange,
    assignment_after_removal,
    change_role_assignment,
    resolve_role_assignment,
)
from tests.factories import CustomRoleFactory


@pytest.mark.parametrize(
    ("provisioning_role", "held", "expected"),
    [
        ("agent", "end-user", "end-user"),
        ("admin", "agent", "agent"),
        ("agent", "admin", "agent"),
        ("end-user", "admin", "end-user"),
    ],
)
def test_no_role_left_is_the_lower_of_provisioning_and_held(
    tenant, provisioning_role, held, expected
):
    tenant.provisioning_role = provisioning_role

    builtin, custom = assignment_after_removal(tenant=tenant, held=(held, None), remaining=[])

    assert (builtin, custom) == (expected, None)


def test_a_custom_role_left_is_kept(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Team Lead")

    assignment = assignment_after_removal(tenant=tenant, held=("admin", lead), remaining=[lead])

    assert assignment == ("agent", lead)


# resolve_role_assignment: the rules between the built-in role and the custom role.


def test_a_custom_role_given_to_an_end_user_makes_an_agent(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Team Lead")

    assignment = resolve_role_assignment(
        tenant_id=tenant.pk, held=("end-user", None), changes={"custom_role": lead}
    )

    assert assignment == ("agent", lead)


def test_making_a_custom_role_holder_an_end_user_takes_the_custom_role_away(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Team Lead")

    assignment = resolve_role_assignment(
        tenant_id=tenant.pk, held=("agent", lead), changes={"role": "end-user"}
    )

    assert assignment == ("end-user", None)


def test_end_user_and_a_custom_role_given_together_make_an_agent(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Team Lead")

    assignment = resolve_role_assignment(
        tenant_id=tenant.pk,
        held=("admin", None),
        changes={"role": "end-user", "custom_role": lead},
    )

    assert assignment == ("agent", lead)


def test_another_accounts_custom_role_is_refused(tenant, outsider):
    theirs = CustomRoleFactory(tenant=outsider.tenant, name="Team Lead")

    with pytest.raises(ValidationError, match="is not a custom role"):
        resolve_role_assignment(
            tenant_id=tenant.pk, held=("agent", None), changes={"custom_role": theirs}
        )


def test_an_unknown_built_in_role_is_refused(tenant):
    with pytest.raises(ValidationError, match="is not a role"):
        resolve_role_assignment(tenant_id=tenant.pk, held=("agent", None), changes={"role": "boss"})


# change_role_assignment: SCIM's operations on roles.


def test_adding_a_custom_role_replaces_the_custom_role_held(tenant):
    lead, coach = (CustomRoleFactory(tenant=tenant, name=name) for name in ("Lead", "Coach"))

    assignment = change_role_assignment(
        tenant=tenant,
        change=RoleChange.ADD,
        values=["Coach"],
        current=("admin", lead),
        held=("admin", lead),
    )

    assert assignment == ("admin", coach)


def test_setting_one_built_in_role_keeps_the_custom_role(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Lead")

    assignment = change_role_assignment(
        tenant=tenant,
        change=RoleChange.SET_ONE,
        values=["admin"],
        current=("agent", lead),
        held=("agent", lead),
    )

    assert assignment == ("admin", lead)


def test_an_empty_replace_is_a_removal_that_never_raises_the_role(tenant):
    tenant.provisioning_role = "admin"

    assignment = change_role_assignment(
        tenant=tenant,
        change=RoleChange.REPLACE,
        values=[],
        current=("agent", None),
        held=("agent", None),
    )

    assert assignment == ("agent", None)


def test_removing_the_custom_role_keeps_the_built_in_role(tenant):
    lead = CustomRoleFactory(tenant=tenant, name="Lead")

    assignment = change_role_assignment(
        tenant=tenant,
        change=RoleChange.REMOVE,
        values=["lead"],
        current=("admin", lead),
        held=("admin", lead),
    )

    assert assignment == ("admin", None)
