"""Audit rows as sentences a person reads: "Entra changed Grace Hopper's role from End-user
to Agent". The codes (user.updated, is_active) stay on the row for support staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class EventRecord(Protocol):
    """What a sentence is made of: an AuditEvent, or an export's lighter row."""

    action: str
    actor_type: str
    actor_label: str
    target_id: str
    target_label: str
    changes: Any


FIELD_LABELS = {
    "user_name": "username",
    "display_name": "display name",
    "external_id": "external ID",
    "is_active": "active",
    "nick_name": "nickname",
    "name_formatted": "full name",
    "given_name": "first name",
    "family_name": "last name",
    "middle_name": "middle name",
    "honorific_prefix": "title prefix",
    "honorific_suffix": "title suffix",
    "title": "job title",
    "user_type": "user type",
    "preferred_language": "preferred language",
    "profile_url": "profile URL",
    "employee_number": "employee number",
    "cost_center": "cost center",
    "phone_numbers": "phone numbers",
    "custom_role": "custom role",
    "token_access": "Token Access",
    "provisioning_role": "role for users created without one",
    "revoked_at": "revoked",
    "truncated": "token",
    "subdomain": "subdomain",
    "manager_of": "manager of",
    "holders_moved_to_agent": "holders made plain agents",
    "users_changed": "users whose effective custom role changed",
    "users": "effective custom roles",
}
# Values that are codes rather than words.
ROLE_FIELDS = {"role", "provisioning_role"}


@dataclass
class Sentence:
    """The sentence around the target, which the page may link: before, target, after."""

    before: str
    target: str
    after: str

    def __str__(self) -> str:
        return f"{self.before}{self.target}{self.after}"

    @property
    def has_full_stop(self) -> bool:
        # A reason quoted at the end (an SSO refusal) may bring its own full stop.
        return str(self).endswith((".", "!", "?"))


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " "))


def field_title(field: str) -> str:
    label = field_label(field)
    return label[:1].upper() + label[1:]


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _dict_text(value: dict) -> str:
    # Emails, phone numbers and addresses arrive as dicts; their value comes first.
    if "value" in value:
        details = [str(value["type"])] if value.get("type") else []
        if value.get("primary"):
            details.append("primary")
        return f"{value['value']} ({', '.join(details)})" if details else str(value["value"])
    return ", ".join(f"{k}: {value_text(k, v)}" for k, v in value.items() if v not in ("", None))


def value_text(field: str, value: Any) -> str:
    """A stored value as words: roles by name, yes/no, lists joined, none for empty."""
    if _is_empty(value):
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in ROLE_FIELDS and isinstance(value, str):
        return value[:1].upper() + value[1:]
    if isinstance(value, dict):
        return _dict_text(value)
    if isinstance(value, list):
        return "; ".join(value_text(field, v) for v in value)
    return str(value)


def actor_name(event: EventRecord) -> str:
    """Who did it, as the account's admin knows them."""
    if event.actor_type == "token":
        return "Entra"
    if event.actor_type == "staff":
        return "Commbox support"
    if event.actor_type == "system":
        return "A management command"
    if event.actor_type == "idp":
        return "The identity provider"
    return event.actor_label or "Someone"


def _pair(changes: dict, field: str) -> tuple[Any, Any] | None:
    value = changes.get(field)
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return None


def _user_sentence(actor: str, name: str, changes: dict, *, refused: bool) -> Sentence:
    if refused:
        fields = [field_label(f) for f in changes if f != "reason"] or ["details"]
        return Sentence(f"{actor} was refused a change to ", name, f"'s {' and '.join(fields)}")
    if set(changes) == {"sessions_revoked_at"}:
        return Sentence(f"{actor} signed ", name, " out of every other session")
    return _user_update(actor, name, changes)


def _without_effects(changes: dict) -> dict:
    """The effective custom role follows from the custom role: the sentence tells the cause."""
    return {k: v for k, v in changes.items() if k != "effective_custom_role"}


def _user_update(actor: str, name: str, changes: dict) -> Sentence:
    changes = _without_effects(changes)
    active = _pair(changes, "is_active")
    role = _pair(changes, "role")
    others = [f for f in changes if f not in ("is_active", "role")]
    if active and not role and not others:
        verb = "reactivated " if active[1] else "deactivated "
        return Sentence(f"{actor} {verb}", name, "")
    if role and not active and not others:
        before, after = value_text("role", role[0]), value_text("role", role[1])
        return Sentence(f"{actor} changed ", name, f"'s role from {before} to {after}")
    if len(changes) == 1:
        (field,) = changes
        pair = _pair(changes, field)
        if pair is not None:
            return _one_field_changed(actor, name, field, pair)
    return Sentence(f"{actor} updated ", name, "")


def _one_field_changed(actor: str, name: str, field: str, pair: tuple[Any, Any]) -> Sentence:
    label = field_label(field)
    if _is_empty(pair[0]):
        return Sentence(f"{actor} set ", name, f"'s {label} to {value_text(field, pair[1])}")
    return Sentence(
        f"{actor} changed ",
        name,
        f"'s {label} from {value_text(field, pair[0])} to {value_text(field, pair[1])}",
    )


# Actions told as "<actor> <verb><target>".
VERBS = {
    "user.created": "created ",
    "user.deleted": "deleted ",
    "user.password_set": "set a new password for ",
    "group.created": "created the group ",
    "group.deleted": "deleted the group ",
    "role.created": "created the custom role ",
    "role.deleted": "deleted the custom role ",
    "token.revoked": "revoked the API token ",
    "tenant.created": "created the account ",
    "staff.updated": "updated the staff account ",
}
# Single sign-on: told without a target (the subject is in the changes).
SSO_SENTENCES = {
    "sso.metadata_loaded": "loaded the identity provider's metadata for single sign-on",
    "sso.idp_configured": "set the identity provider for single sign-on",
    "sso.options": "changed the single sign-on options",
    "sso.tested": "tried a test sign-in with single sign-on",
}


def _member_change(actor: str, target: str, changes: dict, added: bool) -> Sentence:
    member = changes.get("member", "a member")
    if added:
        return Sentence(f"{actor} added {member} to ", target, "")
    return Sentence(f"{actor} removed {member} from ", target, "")


def _renamed(actor: str, target: str, changes: dict, *, kind: str, field: str) -> Sentence:
    pair = _pair(changes, field)
    if pair and len(changes) == 1:
        return Sentence(f"{actor} renamed the {kind} {pair[0]} to ", target, "")
    return Sentence(f"{actor} updated the {kind} ", target, "")


def _account_setting(actor: str, action: str, changes: dict) -> Sentence:
    if action == "tenant.token_access":
        pair = _pair(changes, "token_access")
        state = "on" if pair and pair[1] else "off"
        return Sentence(f"{actor} switched Token Access {state}", "", "")
    pair = _pair(changes, "provisioning_role")
    role = value_text("role", pair[1]) if pair else "another role"
    return Sentence(f"{actor} set the role for users created without one to {role}", "", "")


def _sso_sign_in(event: EventRecord, target: str, changes: dict) -> Sentence:
    subject = changes.get("subject") or "someone"
    if event.action == "sso.signed_in":
        return Sentence("", target, " signed in with single sign-on")
    if event.action == "sso.signed_out":
        return Sentence(
            f"{subject} was signed out by single logout ({changes.get('flow')})", "", ""
        )
    reason = changes.get("reason") or changes.get("check") or "a check failed"
    if event.action == "sso.logout_refused":
        return Sentence(f"A single logout of {subject} was refused: {reason}", "", "")
    return Sentence(f"A single sign-on of {subject} was refused: {reason}", "", "")


def sentence(event: EventRecord, name: str | None = None) -> Sentence:
    """The event as one sentence; `name` is the target's current name, if the page knows it."""
    actor = actor_name(event)
    target = name or event.target_label or event.target_id
    changes = event.changes or {}
    action = event.action
    if action in VERBS:
        return Sentence(f"{actor} {VERBS[action]}", target, "")
    if action in SSO_SENTENCES:
        return Sentence(f"{actor} {SSO_SENTENCES[action]}", "", "")
    if action in ("sso.signed_in", "sso.refused", "sso.signed_out", "sso.logout_refused"):
        return _sso_sign_in(event, target, changes)
    if action in ("user.updated", "user.update_refused"):
        return _user_sentence(actor, target, changes, refused=action == "user.update_refused")
    if action in ("group.member_added", "group.member_removed"):
        return _member_change(actor, target, changes, added=action == "group.member_added")
    return _settings_sentence(actor, action, target, changes)


def _settings_sentence(actor: str, action: str, target: str, changes: dict) -> Sentence:
    """Account settings, renames, tokens and seeding; any other action by its code."""
    if action in ("tenant.token_access", "tenant.provisioning_role"):
        return _account_setting(actor, action, changes)
    if action == "group.updated":
        return _renamed(actor, target, changes, kind="group", field="display_name")
    if action == "role.updated":
        return _renamed(actor, target, changes, kind="custom role", field="name")
    if action == "token.created":
        return Sentence(f"{actor} created the API token ", changes_description(changes, target), "")
    if action.startswith("role.group_") or action == "role.effective_changed":
        return _group_role_sentence(actor, action, target, changes)
    if action == "directory.seeded":
        return Sentence(f"{actor} filled the directory with test users", "", "")
    if action == "audit.pruned":
        return _pruned(actor, changes)
    if action in SIGN_IN_AND_GRANTS:
        return _sign_in_or_grants(actor, action, target, changes)
    if action == "staff.created":
        return _staff_created(actor, target, changes)
    return Sentence(f"{actor} did {action} on ", target, "")


SIGN_IN_AND_GRANTS = {
    "user.sign_in_locked",
    "tenant.sign_in_locked",
    "user.sign_in_unlocked",
    "tenant.scim_admin_grants",
}


def _sign_in_or_grants(actor: str, action: str, target: str, changes: dict) -> Sentence:
    if action == "tenant.scim_admin_grants":
        pair = _pair(changes, "scim_may_grant_admin")
        if pair and pair[1]:
            return Sentence(f"{actor} let Entra ID make users admins", "", "")
        return Sentence(f"{actor} stopped Entra ID from making users admins", "", "")
    if action == "user.sign_in_unlocked":
        return Sentence(f"{actor} lifted the sign-in lock of ", target, "")
    # A lockout has no actor of ours: the failed sign-ins came from an address.
    how = (
        f" for {changes.get('locked_for_minutes', '?')} minutes after "
        f"{changes.get('failures', '?')} failed sign-ins from {changes.get('ip_address', '?')}"
    )
    if action == "user.sign_in_locked":
        return Sentence("Sign-in as ", target, f" was locked{how}")
    return Sentence(
        f"Sign-in as {changes.get('user_name', '?')} (no such user) was locked{how}", "", ""
    )


def _pruned(actor: str, changes: dict) -> Sentence:
    count = changes.get("events_deleted") or 0
    days = changes.get("retention_days")
    if days is None:
        text = f"{actor} ran the retention of the activity; events are kept forever"
    else:
        events = "event" if count == 1 else "events"
        text = f"{actor} removed {count:,} activity {events} older than {days} days"
    if "scim_requests_deleted" in changes:
        text += f", and {changes['scim_requests_deleted']:,} SCIM request log rows"
    return Sentence(text, "", "")


def _staff_created(actor: str, target: str, changes: dict) -> Sentence:
    superuser = _pair(changes, "is_superuser")
    groups = _pair(changes, "groups")
    if superuser and superuser[1]:
        kind = "the superuser account "
    elif groups and groups[1]:
        kind = f"the {' and '.join(groups[1])} staff account "
    else:
        kind = "the staff account "
    return Sentence(f"{actor} created {kind}", target, "")


def _group_role_sentence(actor: str, action: str, target: str, changes: dict) -> Sentence:
    """Permission profiles from groups: links, their order, and the roles they changed."""
    if action == "role.effective_changed":
        count = changes.get("users_changed", 0)
        users = "1 user" if count == 1 else f"{count} users"
        cause = changes.get("cause", "a group changed")
        return Sentence(f"The effective custom role of {users} changed: {cause}", "", "")
    if action == "role.group_link_moved":
        return Sentence(f"{actor} moved ", target, " in the order of linked groups")
    pair = _pair(changes, "custom_role") or (None, None)
    if action == "role.group_unlinked":
        return Sentence(f"{actor} unlinked the group ", target, f" from {pair[0]}")
    if pair[0]:
        return Sentence(f"{actor} linked the group ", target, f" to {pair[1]} instead of {pair[0]}")
    return Sentence(f"{actor} linked the group ", target, f" to {pair[1]}")


def changes_description(changes: dict, fallback: str) -> str:
    pair = _pair(changes, "description")
    return str(pair[1]) if pair and pair[1] else fallback


def change_lines(event: EventRecord) -> list[dict[str, str]]:
    """The changes as "Field: before → after" lines; empty values on creation are left out."""
    lines = []
    changes = event.changes or {}
    for field, value in changes.items():
        if field.endswith("_id") and field.removesuffix("_id") in changes:
            continue  # "member_id" next to "member": the name says it to a reader.
        pair = _pair(changes, field)
        if pair is not None and field not in ("groups", "manager_of", "holders_moved_to_agent"):
            before, after = pair
            if before in (None, "", []) and after in (None, "", []):
                continue
            lines.append(
                {
                    "field": field_title(field),
                    "before": "" if before in (None, "", []) else value_text(field, before),
                    "after": value_text(field, after),
                }
            )
        elif value not in (None, "", []):
            lines.append(
                {"field": field_title(field), "before": "", "after": value_text(field, value)}
            )
    return lines
