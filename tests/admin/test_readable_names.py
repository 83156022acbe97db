"""Django admin names what it shows: a membership by its user and group, staff events in
sentences."""

from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import prune_audit_trail
from apps.audit.wording import sentence
from apps.users.services import create_staff_account
from tests.factories import AgentFactory, GroupFactory, MembershipFactory


def test_a_membership_is_named_by_its_user_and_group(client, superuser, tenant):
    membership = MembershipFactory(
        group=GroupFactory(tenant=tenant, display_name="Tier 2"),
        user=AgentFactory(tenant=tenant, user_name="grace@contoso.com"),
        tenant=tenant,
    )
    client.force_login(superuser)

    response = client.get(reverse("admin:groups_group_change", args=[membership.group.pk]))

    page = response.content.decode()
    assert "grace@contoso.com in Tier 2" in page
    assert f"{membership.user_id} in {membership.group_id}" not in page


def test_a_staff_account_made_by_the_command_is_told_in_a_sentence(client, superuser):
    create_staff_account(
        actor=None, user_name="root1", password="a-long-passphrase-1", superuser=True
    )
    client.force_login(superuser)

    response = client.get(reverse("admin:audit_auditevent_changelist"))

    page = response.content.decode()
    assert "A management command created the superuser account root1." in page
    assert "did staff.created" not in page


def test_a_support_account_is_named_as_one(support_member):
    create_staff_account(
        actor=None, user_name="helpdesk", password="a-long-passphrase-1", support=True
    )

    event = AuditEvent.objects.get(action="staff.created", target_label="helpdesk")

    assert str(sentence(event)) == "A management command created the Support staff account helpdesk"


def test_retention_runs_have_a_filter_of_their_own(client, superuser, tenant):
    prune_audit_trail(actor=None, now=timezone.now(), retention_days=None, scim_retention_days=30)
    client.force_login(superuser)

    response = client.get(reverse("admin:audit_auditevent_changelist"), {"action_family": "audit."})

    assert [event.action for event in response.context["cl"].result_list] == ["audit.pruned"]
