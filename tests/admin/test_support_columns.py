"""What support staff read in the changelists: names a person uses, staff shown as staff."""

from django.urls import reverse

from apps.audit.models import ScimRequest
from apps.audit.services import record_event
from tests.factories import CustomRoleFactory, GroupFactory


def test_index_has_one_groups_entry(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("admin:index"))

    content = response.content.decode()
    assert "/admin/auth/group/" not in content
    assert reverse("admin:groups_group_changelist") in content
    assert "Authentication and Authorization" not in content
    assert "SCIM requests" in content


def test_user_list_shows_platform_staff_as_staff_not_as_end_users(
    client, superuser, support_member
):
    client.force_login(superuser)

    response = client.get(reverse("admin:users_user_changelist"), {"account": "staff"})

    content = response.content.decode()
    assert '<td class="field-role_label">Superuser</td>' in content
    assert '<td class="field-role_label">Support staff</td>' in content
    assert '<td class="field-source_label">—</td>' in content
    assert "End-user" not in content.split('id="result_list"')[1].split("</table>")[0]


def test_user_list_shows_the_role_with_its_custom_role(client, superuser, tenant, agent):
    agent.custom_role = CustomRoleFactory(tenant=tenant, name="Team Lead")
    agent.save()
    client.force_login(superuser)

    response = client.get(reverse("admin:users_user_changelist"))

    assert '<td class="field-role_label">Agent · Team Lead</td>' in response.content.decode()


def test_column_headers_are_words_not_attribute_codes(client, superuser, tenant):
    GroupFactory(tenant=tenant, display_name="Tier 2")
    client.force_login(superuser)

    users = client.get(reverse("admin:users_user_changelist")).content.decode()
    groups = client.get(reverse("admin:groups_group_changelist")).content.decode()

    assert ">Username</a>" in users
    assert ">Display name</a>" in groups
    assert "displayName" not in groups
    assert "userName" not in users


def test_audit_list_tells_each_event_as_a_sentence(client, superuser, tenant, tenant_admin, agent):
    record_event(
        tenant=tenant,
        actor=tenant_admin,
        action="user.updated",
        target=agent,
        changes={"role": ["agent", "admin"]},
    )
    client.force_login(superuser)

    response = client.get(reverse("admin:audit_auditevent_changelist"))

    assert (
        f"{tenant_admin.user_name} changed {agent.user_name}&#x27;s role from Agent to Admin."
        in response.content.decode()
    )


def test_scim_request_list_shows_the_decoded_path_and_why_it_was_refused(client, superuser, tenant):
    ScimRequest.objects.create(
        tenant=tenant,
        method="GET",
        path="/scim/v2/Users?filter=userName%20eq%20%22x%22",
        status=401,
        duration_ms=1,
        refusal="revoked",
        detail="The API token has been revoked.",
    )
    client.force_login(superuser)

    response = client.get(reverse("admin:audit_scimrequest_changelist"))

    content = response.content.decode()
    assert "GET /scim/v2/Users?filter=userName eq &quot;x&quot;" in content
    assert "Revoked API token — The API token has been revoked." in content
