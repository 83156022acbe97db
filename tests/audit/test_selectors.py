from datetime import timedelta

from django.utils import timezone

from apps.audit.models import Refusal, ScimRequest
from apps.audit.selectors import requests_per_interval, sync_cycles
from apps.users.services import update_user
from tests.scim.entra import entra_user, patch_body


def log(tenant, minutes_ago: float, status: int = 200, refusal: str = "") -> None:
    row = ScimRequest.objects.create(
        tenant=tenant,
        method="GET",
        path="/scim/v2/Users",
        status=status,
        duration_ms=5,
        refusal=refusal,
    )
    ScimRequest.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_requests_less_than_ten_minutes_apart_are_one_cycle(tenant):
    for minutes_ago in (30, 25, 21):
        log(tenant, minutes_ago)

    cycles = sync_cycles(tenant, now=timezone.now())

    assert [c.requests for c in cycles] == [3]
    assert round(cycles[0].duration.total_seconds() / 60) == 9


def test_a_quiet_gap_starts_a_new_cycle_and_the_newest_comes_first(tenant):
    for minutes_ago in (120, 118, 40, 39, 38):
        log(tenant, minutes_ago)

    cycles = sync_cycles(tenant, now=timezone.now())

    assert [c.requests for c in cycles] == [3, 2]


def test_cycles_count_errors_and_refusals_apart(tenant):
    log(tenant, 3, status=200)
    log(tenant, 2, status=400)
    log(tenant, 1, status=401, refusal=Refusal.REVOKED)

    (cycle,) = sync_cycles(tenant, now=timezone.now())

    assert (cycle.errors, cycle.refused) == (1, 1)


def test_cycles_leave_out_other_tenants_and_requests_older_than_a_day(tenant, outsider):
    log(outsider.tenant, 1)
    log(tenant, 25 * 60)

    assert sync_cycles(tenant, now=timezone.now()) == []


def test_a_cycle_counts_what_entra_changed(scim_client, tenant, agent):
    grace = scim_client.send("post", "/scim/v2/Users", entra_user("grace@contoso.com")).json()
    ada = scim_client.send("post", "/scim/v2/Users", entra_user("ada@contoso.com")).json()
    scim_client.send(
        "patch",
        f"/scim/v2/Users/{grace['id']}",
        patch_body({"op": "Replace", "path": "title", "value": "Rear Admiral"}),
    )
    scim_client.send(
        "patch",
        f"/scim/v2/Users/{ada['id']}",
        patch_body({"op": "Replace", "path": "active", "value": "False"}),
    )
    group = scim_client.send(
        "post",
        "/scim/v2/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tier 2"},
    ).json()
    scim_client.send(
        "patch",
        f"/scim/v2/Groups/{group['id']}",
        patch_body({"op": "Add", "path": "members", "value": [{"value": grace["id"]}]}),
    )
    scim_client.delete(f"/scim/v2/Users/{ada['id']}")

    (cycle,) = sync_cycles(tenant, now=timezone.now())

    assert cycle.requests == 7
    assert dict(cycle.changes) == {
        "users_created": 2,
        "users_updated": 1,
        "users_disabled": 1,
        "groups_created": 1,
        "members_added": 1,
        "users_deleted": 1,
    }


def test_changes_made_in_the_settings_pages_are_not_counted(tenant, tenant_admin, agent):
    log(tenant, 0)
    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"title": "Lead"})

    (cycle,) = sync_cycles(tenant, now=timezone.now())

    assert not cycle.has_changes


def test_requests_per_interval_covers_24_hours_in_half_hours_by_outcome(tenant):
    log(tenant, 1, status=200)
    log(tenant, 2, status=201)
    log(tenant, 3, status=404)
    log(tenant, 4, status=429, refusal=Refusal.THROTTLED)
    log(tenant, 23 * 60 + 45, status=200)

    intervals = requests_per_interval(tenant, now=timezone.now())

    assert len(intervals) == 48
    assert dict(intervals[-1].counts) == {"ok": 2, "error": 1, "refused": 1}
    assert dict(intervals[0].counts) == {"ok": 1}
    assert sum(interval.total for interval in intervals) == 5
