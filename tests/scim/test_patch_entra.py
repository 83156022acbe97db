"""Each PATCH form Entra sends, with its realistic body.

The forms are catalogued in ../shared/docs/entra-scim.md (from the repository root;
/work/shared/docs/ on the team machine), §5 "PATCH bodies and every quirk" and §6 "App roles".
"""

import json
import uuid

import pytest

from apps.audit.models import AuditEvent
from apps.users.models import User
from tests.factories import AgentFactory, MembershipFactory, UserEmailFactory
from tests.scim.entra import ENTERPRISE, patch_body


@pytest.fixture
def user(tenant):
    user = AgentFactory(
        tenant=tenant, user_name="ann@contoso.com", given_name="Ann", family_name="Lee"
    )
    UserEmailFactory(user=user, value="ann@contoso.com")
    return user


@pytest.fixture
def manager(tenant):
    return AgentFactory(tenant=tenant, display_name="Big Boss")


def patch_user(client, user, *operations, **extra):
    return client.send(
        "patch", f"/scim/v2/Users/{user.public_id}", patch_body(*operations), **extra
    )


def test_replace_active_with_string_false_disables(scim_client, user):
    response = patch_user(scim_client, user, {"op": "Replace", "path": "active", "value": "False"})

    assert response.status_code == 200
    assert response.json()["active"] is False
    user.refresh_from_db()
    assert user.is_active is False


def test_add_active_with_string_true_enables(scim_client, user):
    user.is_active = False
    user.save()

    patch_user(scim_client, user, {"op": "Add", "path": "active", "value": "True"})

    user.refresh_from_db()
    assert user.is_active is True


def test_lower_case_op_with_real_boolean(scim_client, user):
    patch_user(scim_client, user, {"op": "replace", "path": "active", "value": False})

    user.refresh_from_db()
    assert user.is_active is False


def test_lower_case_string_false(scim_client, user):
    patch_user(scim_client, user, {"op": "Replace", "path": "active", "value": "false"})

    user.refresh_from_db()
    assert user.is_active is False


def test_replace_work_email_value_by_filter_path(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "ann.lee@contoso.com",
        },
    )

    assert [(e.value, e.type, e.primary) for e in user.emails.all()] == [
        ("ann.lee@contoso.com", "work", True)
    ]


def test_filter_path_without_a_matching_item_creates_it(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": 'emails[type eq "work"].value',
            "value": "new@contoso.com",
        },
    )

    assert [(e.value, e.type) for e in user.emails.all()] == [("new@contoso.com", "work")]


def test_mobile_phone_number_by_filter_path(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": 'phoneNumbers[type eq "mobile"].value',
            "value": "55555555555",
        },
    )

    assert [(p.value, p.type) for p in user.phone_numbers.all()] == [("55555555555", "mobile")]


def test_fax_and_work_phone_numbers_are_kept_apart(scim_client, user):
    patch_user(
        scim_client,
        user,
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "111"},
        {"op": "Add", "path": 'phoneNumbers[type eq "fax"].value', "value": "222"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "333"},
    )

    assert sorted((p.type, p.value) for p in user.phone_numbers.all()) == [
        ("fax", "222"),
        ("work", "333"),
    ]


def test_address_sub_attributes_by_filter_path(scim_client, user):
    patch_user(
        scim_client,
        user,
        {"op": "Add", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Main St"},
        {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "0150"},
        {"op": "Add", "path": 'addresses[type eq "other"].Formatted', "value": "Room 4"},
    )

    user.refresh_from_db()
    assert user.addresses == [
        {"type": "work", "streetAddress": "1 Main St", "postalCode": "0150"},
        {"type": "other", "formatted": "Room 4"},
    ]


def test_capitalised_value_sub_attribute_on_other_emails(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": 'emails[type eq "other"].Value',
            "value": "smtp:ann@old.com",
        },
    )

    assert sorted((e.type, e.value) for e in user.emails.all()) == [
        ("other", "smtp:ann@old.com"),
        ("work", "ann@contoso.com"),
    ]


def test_name_sub_attribute_paths(scim_client, user):
    patch_user(
        scim_client,
        user,
        {"op": "Add", "path": "name.givenName", "value": "Anna"},
        {"op": "Replace", "path": "name.familyName", "value": "Li"},
    )

    user.refresh_from_db()
    assert (user.given_name, user.family_name) == ("Anna", "Li")


def test_extension_path_sets_department_and_employee_number(scim_client, user):
    patch_user(
        scim_client,
        user,
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "0042"},
    )

    user.refresh_from_db()
    assert (user.department, user.employee_number) == ("Sales", "0042")


def test_add_on_a_single_valued_string_sets_it(scim_client, user):
    patch_user(scim_client, user, {"op": "Add", "path": "nickName", "value": "Babs"})

    user.refresh_from_db()
    assert user.nick_name == "Babs"


def test_mixed_capture_of_emails_addresses_and_department(scim_client, user):
    # limosa-io/laravel-scim-server#34: one request mixing the three forms.
    response = patch_user(
        scim_client,
        user,
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@contoso.com"},
        {"op": "Replace", "path": 'addresses[type eq "work"].formatted', "value": "HQ"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "R&D"},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.department == "R&D"
    assert user.addresses == [{"type": "work", "formatted": "HQ"}]


def test_pathless_value_with_dotted_and_urn_keys(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                f"{ENTERPRISE}:employeeNumber": "Aklq",
            },
        },
    )

    user.refresh_from_db()
    assert (user.display_name, user.given_name, user.family_name, user.employee_number) == (
        "Bjfe",
        "Kkom",
        "Unua",
        "Aklq",
    )


def test_pathless_value_renames_the_user(scim_client, user):
    patch_user(scim_client, user, {"op": "replace", "value": {"userName": "anna@contoso.com"}})

    user.refresh_from_db()
    assert user.user_name == "anna@contoso.com"


def test_pathless_value_with_the_extension_urn_holding_an_object(scim_client, user, manager):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "value": {
                ENTERPRISE: {"department": "Sales", "manager": {"value": str(manager.public_id)}}
            },
        },
    )

    user.refresh_from_db()
    assert (user.department, user.manager) == ("Sales", manager)


def test_pathless_value_with_active_string(scim_client, user):
    patch_user(scim_client, user, {"op": "Replace", "value": {"active": "False"}})

    user.refresh_from_db()
    assert user.is_active is False


def test_manager_set_with_a_bare_id(scim_client, user, manager):
    response = patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": f"{ENTERPRISE}:manager",
            "value": str(manager.public_id),
        },
    )

    assert response.json()[ENTERPRISE]["manager"]["value"] == str(manager.public_id)
    user.refresh_from_db()
    assert user.manager == manager


def test_manager_changed_with_replace(scim_client, tenant, user, manager):
    user.manager = AgentFactory(tenant=tenant)
    user.save()

    patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "path": f"{ENTERPRISE}:manager",
            "value": str(manager.public_id),
        },
    )

    user.refresh_from_db()
    assert user.manager == manager


def test_manager_cleared_with_replace_empty_string(scim_client, user, manager):
    user.manager = manager
    user.save()

    response = patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "path": f"{ENTERPRISE}:manager",
            "value": "",
        },
    )

    assert "manager" not in response.json().get(ENTERPRISE, {})
    user.refresh_from_db()
    assert user.manager is None


def test_manager_set_with_the_object_form(scim_client, user, manager):
    patch_user(
        scim_client,
        user,
        {
            "op": "Replace",
            "path": f"{ENTERPRISE}:manager",
            "value": {"value": str(manager.public_id)},
        },
    )

    user.refresh_from_db()
    assert user.manager == manager


def test_manager_set_with_the_old_array_form(scim_client, user, manager):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "manager",
            "value": [{"$ref": f"../Users/{manager.public_id}", "value": str(manager.public_id)}],
        },
    )

    user.refresh_from_db()
    assert user.manager == manager


def test_manager_removed_by_value_filter(scim_client, user, manager):
    user.manager = manager
    user.save()

    patch_user(
        scim_client,
        user,
        {
            "op": "remove",
            "path": f'manager[value eq "{manager.public_id}"]',
        },
    )

    user.refresh_from_db()
    assert user.manager is None


def test_manager_value_filter_for_another_manager_leaves_it(scim_client, user, manager):
    user.manager = manager
    user.save()

    patch_user(scim_client, user, {"op": "remove", "path": f'manager[value eq "{uuid.uuid4()}"]'})

    user.refresh_from_db()
    assert user.manager == manager


def test_manager_removed_by_path(scim_client, user, manager):
    user.manager = manager
    user.save()

    patch_user(scim_client, user, {"op": "Remove", "path": f"{ENTERPRISE}:manager"})

    user.refresh_from_db()
    assert user.manager is None


def test_unknown_manager_is_400_invalid_value(scim_client, user):
    response = patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": f"{ENTERPRISE}:manager",
            "value": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_single_app_role_assignment_on_create(scim_client, tenant, scim_may_grant_admin):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "boss@contoso.com",
        "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}],
    }

    scim_client.send("post", "/scim/v2/Users", body)

    assert User.objects.get(user_name="boss@contoso.com").role == "admin"


def test_single_app_role_assignment_primary_path(scim_client, user, scim_may_grant_admin):
    patch_user(
        scim_client,
        user,
        {
            "op": "Replace",
            "path": 'roles[primary eq "True"].value',
            "value": "Admin",
        },
    )

    user.refresh_from_db()
    assert user.role == "admin"


def test_single_app_role_assignment_primary_path_with_display_and_type(scim_client, user):
    patch_user(
        scim_client,
        user,
        {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "end-user"},
        {"op": "Add", "path": 'roles[primary eq "True"].display', "value": "End user"},
        {
            "op": "Add",
            "path": 'roles[primary eq "True"].type',
            "value": "WindowsAzureActiveDirectoryRole",
        },
    )

    user.refresh_from_db()
    assert user.role == "end-user"


def test_app_role_json_string_value_is_unpacked(scim_client, user, custom_role):
    packed = json.dumps(
        {
            "id": "06b07648-ecfe-589f-9d2f-6325724a46ee",
            "value": "Team Lead",
            "displayName": "Team Lead",
        }
    )

    response = patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "roles",
            "value": [{"value": packed}],
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.role, user.custom_role) == ("agent", custom_role)


def test_complex_add_of_a_builtin_role_never_demotes(scim_client, tenant):
    user = AgentFactory(tenant=tenant, role="admin")

    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "roles",
            "value": [{"value": json.dumps({"id": "1", "value": "agent", "displayName": "Agent"})}],
        },
    )

    user.refresh_from_db()
    assert user.role == "admin"


def test_complex_create_with_several_roles_keeps_the_highest_and_the_custom(
    scim_client, tenant, custom_role, scim_may_grant_admin
):
    body = {
        "userName": "lead@contoso.com",
        "roles": [
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "displayName": "Agent",
                "value": "agent",
            },
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "displayName": "Team Lead",
                "value": "team lead",
            },
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "displayName": "Admin",
                "value": "ADMIN",
            },
        ],
    }

    scim_client.send("post", "/scim/v2/Users", body)

    user = User.objects.get(user_name="lead@contoso.com")
    assert (user.role, user.custom_role) == ("admin", custom_role)


def test_assertive_replace_sets_exactly_the_listed_roles(scim_client, tenant, custom_role):
    user = AgentFactory(tenant=tenant, role="admin", custom_role=custom_role)

    patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "path": "roles",
            "value": [
                {
                    "primary": False,
                    "type": "WindowsAzureActiveDirectoryRole",
                    "display": "Agent",
                    "value": "Agent",
                }
            ],
        },
    )

    user.refresh_from_db()
    assert (user.role, user.custom_role) == ("agent", None)


def test_assertive_replace_with_no_roles_gives_the_provisioning_role(scim_client, tenant):
    tenant.provisioning_role = "end-user"
    tenant.save()
    user = AgentFactory(tenant=tenant, role="admin")

    patch_user(scim_client, user, {"op": "replace", "path": "roles", "value": []})

    user.refresh_from_db()
    assert user.role == "end-user"


def test_unknown_role_is_400_naming_the_valid_roles(scim_client, user, custom_role):
    response = patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "path": "roles",
            "value": [{"value": "Superhero"}],
        },
    )

    assert response.status_code == 400
    body = response.json()
    assert body["scimType"] == "invalidValue"
    assert "Superhero" in body["detail"]
    assert "end-user, agent, admin, Team_Lead" in body["detail"]


def test_two_custom_roles_are_400(scim_client, tenant, user, custom_role):
    from tests.factories import CustomRoleFactory

    CustomRoleFactory(tenant=tenant, name="Supervisor")

    response = patch_user(
        scim_client,
        user,
        {
            "op": "replace",
            "path": "roles",
            "value": [{"value": "Team Lead"}, {"value": "Supervisor"}],
        },
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_operations_apply_all_or_nothing(scim_client, user):
    response = patch_user(
        scim_client,
        user,
        {"op": "Replace", "path": "title", "value": "Boss"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(uuid.uuid4())},
    )

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.title == ""
    assert not AuditEvent.objects.filter(action="user.updated").exists()


def test_demoting_a_group_member_to_end_user_is_refused_whole(scim_client, tenant):
    user = MembershipFactory(group__tenant=tenant).user

    response = patch_user(
        scim_client,
        user,
        {"op": "Replace", "path": "title", "value": "Boss"},
        {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "end-user"},
    )

    assert response.status_code == 400
    assert user.user_name in response.json()["detail"]
    user.refresh_from_db()
    assert (user.role, user.title) == ("agent", "")


def test_null_values_clear_attributes(scim_client, tenant):
    user = AgentFactory(tenant=tenant, title="Boss", nick_name="B")

    patch_user(
        scim_client,
        user,
        {"op": "Replace", "path": "title", "value": None},
        {"op": "Replace", "path": "nickName", "value": ""},
    )

    user.refresh_from_db()
    assert (user.title, user.nick_name) == ("", "")


def test_patch_without_changes_writes_no_audit_row(scim_client, user):
    response = patch_user(
        scim_client, user, {"op": "Replace", "path": "name.givenName", "value": "Ann"}
    )

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="user.updated").exists()


def test_custom_extension_attributes_are_ignored(scim_client, user):
    response = patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:badge",
            "value": "42",
        },
    )

    assert response.status_code == 200


def test_remove_of_the_extension_urn_clears_the_extension(scim_client, tenant, manager):
    user = AgentFactory(tenant=tenant, department="Sales", employee_number="7", manager=manager)

    patch_user(scim_client, user, {"op": "remove", "path": ENTERPRISE})

    user.refresh_from_db()
    assert (user.department, user.employee_number, user.manager) == ("", "", None)


def test_app_role_as_an_object_value_with_the_feature_flag(scim_client, user, scim_may_grant_admin):
    patch_user(
        scim_client,
        user,
        {
            "op": "add",
            "path": "roles",
            "value": [{"value": {"id": "06b07648", "value": "Admin", "displayName": "Admin"}}],
        },
    )

    user.refresh_from_db()
    assert user.role == "admin"


def test_add_of_an_email_with_an_existing_type_replaces_it(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "emails",
            "value": [{"value": "ann.lee@contoso.com", "type": "work", "primary": True}],
        },
    )

    assert [(e.value, e.type) for e in user.emails.all()] == [("ann.lee@contoso.com", "work")]


def test_add_of_an_email_of_a_new_type_keeps_the_others(scim_client, user):
    patch_user(
        scim_client,
        user,
        {
            "op": "Add",
            "path": "emails",
            "value": [{"value": "ann@home.example", "type": "home"}],
        },
    )

    assert sorted((e.type, e.value) for e in user.emails.all()) == [
        ("home", "ann@home.example"),
        ("work", "ann@contoso.com"),
    ]
