"""Sign-in throttling (django-axes) on /login/ and /admin/login/."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse

from apps.audit.models import AuditEvent, Channel
from apps.users.services import unlock_sign_in
from tests.factories import PASSWORD, AdminFactory

WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5


def sign_in(client, password=PASSWORD, subdomain="my-tenant", user_name="admin@my-tenant.example"):
    data = {"subdomain": subdomain, "user_name": user_name, "password": password}
    return client.post(reverse("portal:login"), data)


def fail(client, times, **fields):
    for _ in range(times):
        sign_in(client, password=WRONG, **fields)


def test_four_failures_do_not_stop_the_right_password(client, tenant_admin):
    fail(client, 4)

    response = sign_in(client)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(tenant_admin.pk)


def test_after_five_failures_the_right_password_is_refused(client, tenant_admin):
    fail(client, 5)

    response = sign_in(client)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_the_lockout_page_says_when_to_try_again(client, tenant_admin):
    fail(client, 4)

    response = sign_in(client, password=WRONG)

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


def test_failures_are_counted_per_account_and_user_name_across_addresses(client, tenant_admin):
    for number in range(5):
        client.post(
            reverse("portal:login"),
            {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": WRONG},
            REMOTE_ADDR=f"198.51.100.{number}",
        )

    response = client.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 429


def test_the_same_user_name_in_another_account_is_not_locked(client, tenant_admin):
    twin = AdminFactory(tenant__subdomain="second", user_name=tenant_admin.user_name)
    fail(client, 5)

    response = client.post(
        reverse("portal:login"),
        {"subdomain": "second", "user_name": twin.user_name, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302


def test_failures_are_counted_per_client_address_across_user_names(client, tenant, tenant_admin):
    for number in range(5):
        sign_in(client, password=WRONG, user_name=f"guess{number}@my-tenant.example")

    response = sign_in(client)

    assert response.status_code == 429


def test_the_client_address_is_the_one_the_proxy_appends(client, tenant, tenant_admin, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(5):
        client.post(
            reverse("portal:login"),
            {"subdomain": "my-tenant", "user_name": f"guess{number}", "password": WRONG},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 192.0.2.1",
        )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.1"}


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, tenant, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    sign_in(client, password=WRONG)
    client.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": "x", "password": WRONG},
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_without_a_forwarded_header_the_address_is_the_peers(client, tenant_admin, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fail(client, 1)

    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_an_unknown_account_is_locked_like_a_real_one(client, db):
    fail(client, 5, subdomain="no-such-account", user_name="someone")

    response = sign_in(client, subdomain="no-such-account", user_name="someone")

    assert response.status_code == 429


def test_the_password_is_not_stored_with_the_attempt(client, tenant_admin):
    fail(client, 1)

    attempt = AccessAttempt.objects.get()
    assert WRONG not in attempt.post_data
    assert attempt.username == "my-tenant/admin@my-tenant.example"


def test_a_lockout_writes_one_audit_row_on_the_users_trail(client, tenant, tenant_admin):
    fail(client, 7)

    event = AuditEvent.objects.get(action="user.sign_in_locked")
    assert (event.tenant, event.target_label, event.channel) == (
        tenant,
        tenant_admin.user_name,
        Channel.UI,
    )
    assert event.changes["failures"] == 5
    assert event.changes["locked_for_minutes"] == 15
    assert event.actor_label == "sign-in from 127.0.0.1"


def test_the_admin_sign_in_page_is_throttled_too(client, staff):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": staff.user_name, "password": WRONG})

    response = client.post(
        reverse("admin:login"), {"username": staff.user_name, "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_admin_lockout_is_audited_on_the_admin_channel(client, staff):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": staff.user_name, "password": WRONG})

    event = AuditEvent.objects.get(action="user.sign_in_locked")
    assert (event.tenant, event.channel, event.target_label) == (
        None,
        Channel.ADMIN,
        staff.user_name,
    )


def test_unlocking_a_user_lets_them_sign_in_at_once(client, tenant_admin, staff):
    fail(client, 5)

    unlock_sign_in(actor=staff, user=tenant_admin)
    response = client.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.sign_in_unlocked").count() == 1


def test_axes_reset_username_command_unlocks_by_account_and_user_name(client, tenant_admin):
    fail(client, 5)

    call_command("axes_reset_username", "my-tenant/admin@my-tenant.example")

    assert not AccessAttempt.objects.filter(username="my-tenant/admin@my-tenant.example").exists()


def test_a_superuser_unlocks_users_with_an_admin_action(client, tenant_admin):
    fail(client, 5)
    root = AdminFactory(tenant=None, is_staff=True, is_superuser=True, user_name="root")
    client.force_login(root)

    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [tenant_admin.pk]},
    )

    assert not AccessAttempt.objects.filter(username__startswith="my-tenant/").exists()


def test_support_staff_cannot_unlock(client, tenant_admin):
    from django.contrib.auth.models import Group as PermissionGroup

    support = AdminFactory(tenant=None, is_staff=True, user_name="support")
    support.groups.add(PermissionGroup.objects.get(name="Support"))
    fail(client, 5)
    client.force_login(support)

    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [tenant_admin.pk]},
    )

    assert AccessAttempt.objects.filter(username__startswith="my-tenant/").exists()


def test_a_tenant_admin_lifts_another_admins_lock_from_the_users_page(client, tenant, tenant_admin):
    colleague = AdminFactory(tenant=tenant, user_name="colleague@my-tenant.example")
    fail(client, 5, user_name=colleague.user_name)
    client.force_login(tenant_admin)

    response = client.post(reverse("users:unlock_sign_in", args=[colleague.public_id]))

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username__endswith=colleague.user_name).exists()
    event = AuditEvent.objects.get(action="user.sign_in_unlocked")
    assert (event.actor_label, event.target_label) == (tenant_admin.user_name, colleague.user_name)


def test_the_users_page_offers_to_lift_an_admins_lock(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("users:detail", args=[tenant_admin.public_id]))

    assert "Lift sign-in lock" in response.content.decode()
