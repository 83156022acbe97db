from apps.audit.models import AuditEvent
from apps.audit.wording import change_lines, sentence

ENTRA = {"actor_type": "token", "actor_label": "API token cbx_abcd…wxyz (Entra ID)"}


def event(action, changes=None, target_label="grace@contoso.com", target_type="user", **actor):
    return AuditEvent(
        action=action,
        changes=changes or {},
        target_label=target_label,
        target_type=target_type,
        **(actor or ENTRA),
    )


def test_a_role_change_by_entra_reads_as_a_sentence_with_the_users_name():
    change = event("user.updated", {"role": ["end-user", "agent"]})

    assert str(sentence(change, "Grace Hopper")) == (
        "Entra changed Grace Hopper's role from End-user to Agent"
    )


def test_deactivation_and_reactivation_are_named_as_such():
    assert str(sentence(event("user.updated", {"is_active": [True, False]}))) == (
        "Entra deactivated grace@contoso.com"
    )
    assert str(sentence(event("user.updated", {"is_active": [False, True]}))) == (
        "Entra reactivated grace@contoso.com"
    )


def test_one_field_set_from_empty_says_set():
    change = event("user.updated", {"title": ["", "Rear Admiral"]})

    assert (
        str(sentence(change, "Grace Hopper"))
        == "Entra set Grace Hopper's job title to Rear Admiral"
    )


def test_a_change_by_an_admin_names_the_admin():
    change = event("user.created", actor_type="user", actor_label="admin")

    assert str(sentence(change)) == "admin created grace@contoso.com"


def test_support_and_commands_are_named_for_a_person():
    assert str(sentence(event("user.deleted", actor_type="staff", actor_label="root"))).startswith(
        "Commbox support deleted"
    )
    assert str(sentence(event("user.deleted", actor_type="system", actor_label=""))).startswith(
        "A management command deleted"
    )


def test_membership_changes_name_the_member_and_the_group():
    change = event(
        "group.member_added",
        {"member": "grace@contoso.com", "member_id": "1"},
        target_label="Tier 2",
        target_type="group",
    )

    parts = sentence(change)

    assert (parts.before, parts.target, parts.after) == (
        "Entra added grace@contoso.com to ",
        "Tier 2",
        "",
    )


def test_token_access_reads_on_or_off():
    change = event(
        "tenant.token_access",
        {"token_access": [True, False]},
        target_type="tenant",
        actor_type="user",
        actor_label="admin",
    )

    assert str(sentence(change)) == "admin switched Token Access off"


def test_change_lines_use_field_names_a_person_reads_and_skip_empty_values():
    change = event(
        "user.created",
        {
            "display_name": [None, "Grace Hopper"],
            "external_id": [None, ""],
            "is_active": [None, True],
            "role": [None, "agent"],
        },
    )

    assert change_lines(change) == [
        {"field": "Display name", "before": "", "after": "Grace Hopper"},
        {"field": "Active", "before": "", "after": "yes"},
        {"field": "Role", "before": "", "after": "Agent"},
    ]


def test_a_cleared_value_reads_none():
    change = event("user.updated", {"title": ["Manager", ""]})

    assert change_lines(change) == [{"field": "Job title", "before": "Manager", "after": "none"}]


def test_a_refused_single_sign_on_says_who_and_why():
    change = event(
        "sso.refused",
        {"subject": "grace@contoso.com", "check": "audience", "reason": "The audience is wrong."},
        target_type="ssosettings",
        actor_type="idp",
        actor_label="identity provider sts.windows.net",
    )

    assert str(sentence(change)) == (
        "A single sign-on of grace@contoso.com was refused: The audience is wrong."
    )


def test_a_single_sign_on_names_the_user_who_signed_in():
    change = event("sso.signed_in", {"subject": "grace@contoso.com"}, actor_type="user")

    assert str(sentence(change, "Grace Hopper")) == "Grace Hopper signed in with single sign-on"


def test_ending_other_sessions_reads_as_signing_out_everywhere_else():
    change = event(
        "user.updated",
        {"sessions_revoked_at": [None, "2026-12-07T21:00:00+00:00"]},
        actor_type="user",
        actor_label="grace@contoso.com",
    )

    assert str(sentence(change, "Grace Hopper")) == (
        "grace@contoso.com signed Grace Hopper out of every other session"
    )


def told(action: str, changes: dict, *, actor_type: str = "user", target_label: str = "grace"):
    event = AuditEvent(
        action=action,
        actor_type=actor_type,
        actor_label="admin",
        target_type="user",
        target_id="00000000-0000-0000-0000-000000000001",
        target_label=target_label,
        changes=changes,
    )
    return str(sentence(event))


def test_a_lockout_is_told_with_its_failures_and_address():
    changes = {"user_name": "grace", "ip_address": "192.0.2.7", "failures": 5}
    changes["locked_for_minutes"] = 15

    text = told("user.sign_in_locked", changes, actor_type="system")

    assert (
        text == "Sign-in as grace was locked for 15 minutes after 5 failed sign-ins from 192.0.2.7"
    )


def test_a_lockout_of_an_unknown_user_name_says_so():
    changes = {"user_name": "nobody", "ip_address": "192.0.2.7", "failures": 5}
    changes["locked_for_minutes"] = 15

    text = told("tenant.sign_in_locked", changes, actor_type="system", target_label="my-tenant")

    assert text.startswith("Sign-in as nobody (no such user) was locked for 15 minutes")


def test_lifting_a_lock_names_who_did_it():
    assert told("user.sign_in_unlocked", {}) == "admin lifted the sign-in lock of grace"


def test_allowing_entra_to_make_admins_is_told():
    text = told("tenant.scim_admin_grants", {"scim_may_grant_admin": [False, True]})

    assert text == "admin let Entra ID make users admins"


def test_stopping_entra_from_making_admins_is_told():
    text = told("tenant.scim_admin_grants", {"scim_may_grant_admin": [True, False]})

    assert text == "admin stopped Entra ID from making users admins"
