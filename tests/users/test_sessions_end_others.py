"""A signed-in person ends every other session of theirs from their profile."""

from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.users.models import User
from tests.factories import PASSWORD

END_OTHERS = "/settings/users/sessions/end-others/"


def signed_in(user) -> Client:
    """A browser of its own, signed in through the sign-in form."""
    browser = Client()
    response = browser.post(
        reverse("portal:login"),
        {"subdomain": user.tenant.subdomain, "user_name": user.user_name, "password": PASSWORD},
    )
    assert response.status_code == 302
    return browser


def test_signing_out_of_other_sessions_ends_the_other_browsers_session(tenant_admin):
    laptop, phone = signed_in(tenant_admin), signed_in(tenant_admin)

    laptop.post(END_OTHERS)

    response = phone.get(reverse("portal:settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_session_that_signs_out_the_others_stays_signed_in(tenant_admin):
    laptop = signed_in(tenant_admin)

    laptop.post(END_OTHERS)

    assert laptop.get(reverse("portal:settings")).status_code == 200


def test_signing_out_of_other_sessions_says_so_and_returns_to_the_profile(tenant_admin):
    laptop = signed_in(tenant_admin)

    response = laptop.post(END_OTHERS, {"next": reverse("sso:me")}, follow=True)

    assert response.redirect_chain == [(reverse("sso:me"), 302)]
    assert "signed out of every other session" in response.content.decode()


def test_signing_out_of_other_sessions_never_returns_to_another_site(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.post(END_OTHERS, {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_signing_out_of_other_sessions_is_audited(client, tenant, tenant_admin):
    client.force_login(tenant_admin)

    client.post(END_OTHERS)

    event = AuditEvent.objects.get(action="user.updated")
    assert event.tenant == tenant
    assert event.actor_label == tenant_admin.user_name
    assert event.target_id == str(tenant_admin.public_id)
    assert event.changes["sessions_revoked_at"][0] is None


def test_an_end_user_can_sign_out_of_their_other_sessions(client, end_user):
    client.force_login(end_user)

    response = client.post(END_OTHERS)

    assert response.status_code == 302
    assert User.objects.get(pk=end_user.pk).sessions_revoked_at is not None
    assert client.get(reverse("sso:me")).status_code == 200


def test_signing_out_of_other_sessions_needs_a_post(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(END_OTHERS)

    assert response.status_code == 405
    assert User.objects.get(pk=tenant_admin.pk).sessions_revoked_at is None


def test_signing_out_of_other_sessions_needs_a_signed_in_person(client):
    response = client.post(END_OTHERS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_profile_page_has_a_labelled_button_to_sign_out_of_other_sessions(client, agent):
    client.force_login(agent)

    response = client.get(reverse("sso:me"))

    page = response.content.decode()
    assert f'action="{END_OTHERS}"' in page
    assert ">Sign out of other sessions</button>" in page


def test_the_header_links_the_signed_in_person_to_their_profile(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:settings"))

    assert f'<a class="who" href="{reverse("sso:me")}">' in response.content.decode()


def test_a_staff_account_signs_out_of_its_other_sessions_audited_as_staff(client, staff):
    client.force_login(staff)

    response = client.post(END_OTHERS)

    assert response.status_code == 302
    assert AuditEvent.objects.get(action="staff.updated").tenant is None
    assert client.get(reverse("sso:me")).status_code == 200
