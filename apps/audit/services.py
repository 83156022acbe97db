"""record_event(): the one way a change is written to the audit trail;
record_scim_request(): the one way a SCIM request is written to the request log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from django.db import models, transaction

from apps.audit import request_log, retention
from apps.audit.models import AuditAction, AuditEvent, Channel
from apps.audit.redaction import redact_secrets
from apps.audit.tokenless import count_request_without_token
from apps.tenants.models import Tenant
from apps.tenants.prepared_writes import insert_new, is_prepared

if TYPE_CHECKING:
    from typing import NotRequired

    from typing_extensions import TypeIs, Unpack

    from apps.groups.models import Group
    from apps.roles.models import Role
    from apps.sso.models import SsoSettings
    from apps.tokens.models import ApiToken
    from apps.users.models import User

    # Who makes a change: the signed-in user (pages, admin), the API token (SCIM), or
    # None (a management command). Every service takes one; record_event stores either.
    Actor: TypeAlias = User | ApiToken | None
    # What an event is about: a row with a public id.
    Target: TypeAlias = Tenant | User | Group | Role | ApiToken | SsoSettings

    class EventFields(TypedDict):
        """What a service says about one change (keyword arguments of record_event)."""

        tenant: Tenant | None
        actor: Actor
        action: AuditAction
        # None for an event about the trail itself (a retention run).
        target: Target | None
        changes: NotRequired[dict[str, Any] | None]
        # Follows from the actor unless named (a sign-in is SSO whoever signs in).
        channel: NotRequired[Channel | None]
        actor_label: NotRequired[str | None]
        # For an actor that is no row of ours (actor None): "idp" for the identity provider.
        actor_type: NotRequired[str | None]


def _is_token(actor: Actor) -> TypeIs[ApiToken]:
    # By model name: audit sits below tokens and users and imports neither.
    return actor is not None and actor._meta.model_name == "apitoken"


# Field names that never reach the trail, whatever a caller passes.
SECRET_FIELDS = {"password", "digest", "secret", "token"}


def channel_of(actor: Actor) -> Channel:
    """SCIM for a token, admin for platform staff, the UI for a tenant user, else a command."""
    if actor is None:
        return Channel.COMMAND
    if _is_token(actor):
        return Channel.SCIM
    if actor.tenant_id is None:
        return Channel.ADMIN
    return Channel.UI


def _actor_fields(actor: Actor) -> dict[str, str]:
    if actor is None:
        return {"actor_type": "system", "actor_id": "", "actor_label": "management command"}
    if _is_token(actor):
        return {
            "actor_type": "token",
            "actor_id": str(actor.public_id),
            "actor_label": f"API token {actor.truncated} ({actor.description})",
        }
    kind = "staff" if actor.tenant_id is None else "user"
    return {"actor_type": kind, "actor_id": str(actor.public_id), "actor_label": actor.user_name}


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return str(value)


def clean_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in (changes or {}).items() if k not in SECRET_FIELDS}


def build_event(**fields: Unpack[EventFields]) -> AuditEvent:
    """An unsaved event, for callers that write many at once with bulk_create.

    `channel`, `actor_label` and `actor_type` describe an event nobody signed in caused
    (actor None), such as a sign-in lockout on the sign-in page or a sign-in the identity
    provider's response was refused for (actor_type "idp").
    """
    actor, target = fields["actor"], fields["target"]
    actor_fields = _actor_fields(actor)
    actor_type = fields.get("actor_type")
    if actor_type is not None:
        if actor is not None:
            raise ValueError("actor_type names an actor that is not a user or token.")
        actor_fields["actor_type"] = actor_type[:20]
    actor_label = fields.get("actor_label")
    if actor_label is not None:
        actor_fields["actor_label"] = actor_label[:255].strip()
    if target is None:
        target_fields = {"target_type": "trail", "target_id": "", "target_label": "audit trail"}
    else:
        target_fields = {
            "target_type": str(target._meta.model_name),
            "target_id": str(target.public_id),
            "target_label": str(target)[:255],
        }
    return AuditEvent(
        tenant=fields["tenant"],
        channel=fields.get("channel") or channel_of(actor),
        action=fields["action"],
        **target_fields,
        changes=clean_changes(fields.get("changes")),
        **actor_fields,
    )


def record_event(**fields: Unpack[EventFields]) -> AuditEvent:
    """Write one audit row; call it inside the transaction that makes the change."""
    event = build_event(**fields)
    if is_prepared(AuditEvent):
        insert_new(event)  # append-only: the event is never saved again
    else:
        event.save()
    return event


def record_events(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def _storable(text: str) -> str:
    """Text PostgreSQL stores: no NUL, no lone surrogate (a refused request's detail may
    quote either, from the id or filter it refuses)."""
    return text.replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")


def record_scim_request(
    *,
    tenant_id: int,
    token: ApiToken | None,
    method: str,
    path: str,
    status: int,
    duration_ms: int,
    detail: str = "",
    refusal: str = "",
) -> None:
    """One row per request made with one of the account's tokens, refused ones included
    (never headers, bodies or secrets); a request with no valid token is only counted
    (tokenless.py), as anyone can send one with any path.

    The row waits in this process's buffer and is written in bulk off the request path,
    with the trimming of old rows (request_log.py).
    """
    if token is None:
        count_request_without_token(tenant_id)
        return
    request_log.record(
        tenant_id=tenant_id,
        token_id=token.pk,
        method=method[:10],
        path=_storable(redact_secrets(path))[:500],
        status=status,
        duration_ms=max(0, duration_ms),
        detail=_storable(redact_secrets(detail))[:500],
        refusal=refusal,
    )


@dataclass
class PruneResult:
    events_before: datetime | None  # None: audit events are kept forever
    events_deleted: int
    accounts: int  # accounts that lost events
    scim_requests_before: datetime
    scim_requests_deleted: int


def prune_audit_trail(
    *, actor: Actor, now: datetime, retention_days: int | None, scim_retention_days: int
) -> PruneResult:
    """Delete audit events older than `retention_days` (None: none) and SCIM request log rows
    older than `scim_retention_days`, in batches; record the run, and in each account that
    lost events, what it lost. Running it again deletes nothing more."""
    deleted: Counter = Counter()
    events_before = None
    if retention_days is not None:
        events_before = now - timedelta(days=retention_days)
        deleted = retention.delete_events_before(events_before)
    scim_before = now - timedelta(days=scim_retention_days)
    scim_deleted = retention.delete_scim_requests_before(scim_before)
    with transaction.atomic():
        for tenant in Tenant.objects.filter(pk__in=[pk for pk in deleted if pk is not None]):
            record_event(
                tenant=tenant,
                actor=actor,
                action=AuditAction.AUDIT_PRUNED,
                target=tenant,
                changes=_prune_changes(deleted[tenant.pk], events_before, retention_days),
            )
        record_event(
            tenant=None,
            actor=actor,
            action=AuditAction.AUDIT_PRUNED,
            target=None,
            changes={
                **_prune_changes(sum(deleted.values()), events_before, retention_days),
                "scim_requests_deleted": scim_deleted,
                "scim_requests_older_than": scim_before.isoformat(),
            },
        )
    return PruneResult(
        events_before=events_before,
        events_deleted=sum(deleted.values()),
        accounts=len([pk for pk in deleted if pk is not None]),
        scim_requests_before=scim_before,
        scim_requests_deleted=scim_deleted,
    )


def _prune_changes(
    count: int, before: datetime | None, retention_days: int | None
) -> dict[str, Any]:
    return {
        "events_deleted": count,
        "older_than": before.isoformat() if before is not None else None,
        "retention_days": retention_days,
    }
