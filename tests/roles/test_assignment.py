"""assignment_after_removal: what a user holds once roles are taken away."""

import pytest

from apps.roles.services import assignment_after_removal
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
