import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.roles.models import BuiltinRole, Role
from apps.roles.services import create_role, delete_role, update_role
from apps.users.models import User
from apps.users.services import update_user
from tests.factories import AgentFactory, CustomRoleFactory, MembershipFactory, UserFactory


def role_events(tenant):
    return AuditEvent.objects.for_tenant(tenant).filter(action__startswith="role.")


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("Agent", "agent"),
        (" agent ", "agent"),
        ("End User", "end-user"),
        ("end_user", "end-user"),
        ("ENDUSER", "end-user"),
        ("END-USER ", "end-user"),
        ("Admin", "admin"),
        ("a-d-m-i-n", "admin"),
    ],
)
def test_custom_role_named_like_a_builtin_role_is_refused_naming_it(
    tenant, tenant_admin, name, builtin
):
    with pytest.raises(ValidationError) as error:
        create_role(tenant=tenant, actor=tenant_admin, name=name)

    assert error.value.code == "invalid"
    assert f'built-in role "{builtin}"' in error.value.messages[0]
    assert not Role.objects.for_tenant(tenant).custom().exists()
    assert not role_events(tenant).exists()


def test_custom_role_is_created_with_an_audit_row(tenant, tenant_admin):
    role = create_role(
        tenant=tenant, actor=tenant_admin, name="  Team   lead ", description=" Leads a team "
    )

    assert (role.name, role.description, role.builtin) == ("Team lead", "Leads a team", "")
    event = role_events(tenant).get()
    assert event.action == "role.created"
    assert event.target_id == str(role.public_id)
    assert event.changes == {"name": [None, "Team lead"], "description": [None, "Leads a team"]}


@pytest.mark.parametrize("name", ["team lead", "TEAM-LEAD", "team_lead", "Teamlead", " Team  Lead"])
def test_custom_role_similar_to_an_existing_one_is_refused_as_unique(tenant, tenant_admin, name):
    CustomRoleFactory(tenant=tenant, name="Team Lead")

    with pytest.raises(ValidationError) as error:
        create_role(tenant=tenant, actor=tenant_admin, name=name)

    assert error.value.code == "unique"
    assert '"Team Lead"' in error.value.messages[0]
    assert Role.objects.for_tenant(tenant).custom().count() == 1
    assert not role_events(tenant).exists()


def test_same_custom_role_name_is_allowed_in_another_tenant(tenant, tenant_admin, outsider):
    CustomRoleFactory(tenant=outsider.tenant, name="Team Lead")

    role = create_role(tenant=tenant, actor=tenant_admin, name="Team Lead")

    assert role.tenant == tenant


@pytest.mark.parametrize("name", ["", "   ", "-_-"])
def test_custom_role_without_letters_is_refused(tenant, tenant_admin, name):
    with pytest.raises(ValidationError):
        create_role(tenant=tenant, actor=tenant_admin, name=name)

    assert not Role.objects.for_tenant(tenant).custom().exists()


def test_custom_role_name_longer_than_the_column_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_role(tenant=tenant, actor=tenant_admin, name="Supervisor " * 10)

    assert error.value.code == "invalid"
    assert not Role.objects.for_tenant(tenant).custom().exists()


def test_custom_role_is_renamed_with_before_and_after(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead", description="Leads")

    update_role(
        tenant=tenant, actor=tenant_admin, role=role, name="Supervisor", description="Leads"
    )

    role.refresh_from_db()
    assert (role.name, role.normalized_name) == ("Supervisor", "supervisor")
    assert role_events(tenant).get().changes == {"name": ["Team Lead", "Supervisor"]}


def test_custom_role_can_change_the_case_of_its_own_name(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead", description="Leads")

    update_role(tenant=tenant, actor=tenant_admin, role=role, name="team lead", description="Leads")

    role.refresh_from_db()
    assert role.name == "team lead"


def test_custom_role_update_without_change_writes_no_audit_row(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead", description="Leads")

    update_role(tenant=tenant, actor=tenant_admin, role=role, name="Team Lead", description="Leads")

    assert not role_events(tenant).exists()


@pytest.mark.parametrize("name", ["AGENT", "Agent ", "admin", "End-user"])
def test_custom_role_cannot_be_renamed_like_a_builtin_role(tenant, tenant_admin, name):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead")

    with pytest.raises(ValidationError):
        update_role(tenant=tenant, actor=tenant_admin, role=role, name=name, description="")

    role.refresh_from_db()
    assert role.name == "Team Lead"
    assert not role_events(tenant).exists()


def test_custom_role_cannot_be_renamed_like_another_custom_role(tenant, tenant_admin):
    CustomRoleFactory(tenant=tenant, name="Team Lead")
    role = CustomRoleFactory(tenant=tenant, name="Supervisor")

    with pytest.raises(ValidationError) as error:
        update_role(tenant=tenant, actor=tenant_admin, role=role, name="team-lead", description="")

    assert error.value.code == "unique"
    role.refresh_from_db()
    assert role.name == "Supervisor"
    assert not role_events(tenant).exists()


@pytest.mark.parametrize("builtin", BuiltinRole.values)
def test_builtin_role_cannot_be_renamed(tenant, tenant_admin, builtin):
    role = Role.objects.for_tenant(tenant).get(builtin=builtin)

    with pytest.raises(ValidationError) as error:
        update_role(tenant=tenant, actor=tenant_admin, role=role, name="Helpers", description="")

    assert f'"{builtin}"' in error.value.messages[0]
    role.refresh_from_db()
    assert role.name == builtin
    assert not role_events(tenant).exists()


@pytest.mark.parametrize("builtin", BuiltinRole.values)
def test_builtin_role_cannot_be_deleted(tenant, tenant_admin, builtin):
    role = Role.objects.for_tenant(tenant).get(builtin=builtin)

    with pytest.raises(ValidationError):
        delete_role(tenant=tenant, actor=tenant_admin, role=role)

    assert Role.objects.filter(pk=role.pk).exists()
    assert not role_events(tenant).exists()


def test_deleting_a_custom_role_keeps_its_holders_as_agents(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    holder = AgentFactory(tenant=tenant, custom_role=role)

    delete_role(tenant=tenant, actor=tenant_admin, role=role)

    holder.refresh_from_db()
    assert holder.role == BuiltinRole.AGENT
    assert holder.custom_role is None
    assert not Role.objects.filter(pk=role.pk).exists()


def test_deleting_a_custom_role_keeps_holders_in_their_groups(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    membership = MembershipFactory(group__tenant=tenant, user__custom_role=role)

    delete_role(tenant=tenant, actor=tenant_admin, role=role)

    membership.refresh_from_db()
    assert membership.user.is_agent


def test_deleting_a_custom_role_bumps_the_version_of_its_holders(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    holder = AgentFactory(tenant=tenant, custom_role=role)
    bystander = AgentFactory(tenant=tenant)

    delete_role(tenant=tenant, actor=tenant_admin, role=role)

    assert User.objects.get(pk=holder.pk).version == holder.version + 1
    assert User.objects.get(pk=bystander.pk).version == bystander.version


def test_deleting_a_custom_role_given_to_an_end_user_makes_them_an_agent(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    holder = update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=UserFactory(tenant=tenant),
        attributes={"custom_role": role},
    )

    delete_role(tenant=tenant, actor=tenant_admin, role=role)

    holder.refresh_from_db()
    assert holder.role == BuiltinRole.AGENT


def test_deleting_a_custom_role_records_its_holders(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead")
    AgentFactory(tenant=tenant, custom_role=role, user_name="ann@example.com")

    delete_role(tenant=tenant, actor=tenant_admin, role=role)

    event = role_events(tenant).get()
    assert event.action == "role.deleted"
    assert event.target_label == "Team Lead"
    assert event.changes == {
        "name": ["Team Lead", None],
        "holders_moved_to_agent": ["ann@example.com"],
    }


def test_deleting_a_custom_role_returns_how_many_held_it(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    AgentFactory.create_batch(2, tenant=tenant, custom_role=role)
    AgentFactory(tenant=tenant)

    assert delete_role(tenant=tenant, actor=tenant_admin, role=role) == 2


def test_custom_role_description_longer_than_the_column_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_role(tenant=tenant, actor=tenant_admin, name="Team Lead", description="x" * 501)

    assert error.value.code == "invalid"
    assert not Role.objects.for_tenant(tenant).custom().exists()
