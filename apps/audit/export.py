"""The audit trail as a file: CSV or JSON Lines, streamed in constant memory.

One function, `export_response`, serves the Activity page (one account, its filters) and
Django admin (support staff, the changelist's filters across the accounts they may see).
Each row carries the sentence the page shows, the readable changes, and the raw codes.

Rows are read in keyset batches on (created_at, id), newest first, not through one
server-side cursor: each batch is a short query of its own, so a download of a million rows
holds no transaction open for minutes and works behind PgBouncer's transaction pooling
(where server-side cursors are off, DATABASE_TRANSACTION_POOLING). Memory is one batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse

from apps.audit import wording
from apps.audit.models import AuditEvent, Channel

BATCH_SIZE = 5000
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/jsonl; charset=utf-8", "jsonl"),
}
COLUMNS = [
    "time",
    "account",
    "channel",
    "what_happened",
    "changes_readable",
    "action",
    "channel_code",
    "actor_type",
    "actor_id",
    "actor_label",
    "target_type",
    "target_id",
    "target_label",
    "changes",
]
CHANNEL_NAMES = dict(Channel.choices)
# A spreadsheet runs a cell that starts with one of these as a formula; names come from
# Entra and from admins, so a CSV cell never starts with one (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(slots=True)
class ExportedEvent:
    """An audit row as the export reads it: tuples from values_list(), not model instances,
    which would cost more than the rest of the row's work together."""

    pk: int
    created_at: datetime
    account: str | None
    channel: str
    action: str
    actor_type: str
    actor_id: str
    actor_label: str
    target_type: str
    target_id: str
    target_label: str
    changes: Any


FIELDS = [field.name for field in ExportedEvent.__dataclass_fields__.values()]
FIELDS[FIELDS.index("account")] = "tenant__subdomain"
# The changes as the database's JSON text, parsed by orjson: JSONField's json.loads was a
# fifth of the export's time.
FIELDS[FIELDS.index("changes")] = "changes_text"

# Current names of an export's users and groups by id, for one batch (the Activity page
# names them as they are called now); None keeps the names the rows recorded.
NamesOf = Callable[[list[ExportedEvent]], dict[str, str]]


def batches(events: QuerySet[AuditEvent], size: int = BATCH_SIZE) -> Iterator[list[ExportedEvent]]:
    """The events newest first, `size` at a time, each batch one keyset query."""
    events = events.annotate(changes_text=Cast("changes", TextField())).order_by(
        "-created_at", "-id"
    )
    after: tuple[datetime, int] | None = None
    while True:
        page = events
        if after is not None:
            moment, pk = after
            # The range condition lets the (…, -created_at) indexes start at the last row;
            # the OR alone would be a filter over every row already sent.
            page = events.filter(created_at__lte=moment).filter(
                Q(created_at__lt=moment) | Q(pk__lt=pk)
            )
        rows = [ExportedEvent(*values) for values in page.values_list(*FIELDS)[:size]]
        for row in rows:
            row.changes = orjson.loads(row.changes) if row.changes else {}
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = (rows[-1].created_at, rows[-1].pk)


def _readable_changes(event: ExportedEvent) -> str:
    return "; ".join(
        f"{line['field']}: {line['before']} → {line['after']}"
        if line["before"]
        else f"{line['field']}: {line['after']}"
        for line in wording.change_lines(event)
    )


def row_of(event: ExportedEvent, name: str | None = None) -> dict[str, object]:
    """One event as the export's columns: the page's sentence and the raw record."""
    sentence = wording.sentence(event, name)
    text = str(sentence)
    return {
        "time": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "account": event.account or "",
        "channel": CHANNEL_NAMES.get(event.channel, event.channel),
        "what_happened": text if sentence.has_full_stop else f"{text}.",
        "changes_readable": _readable_changes(event),
        "action": event.action,
        "channel_code": event.channel,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "changes": event.changes or {},
    }


def _csv_cell(value: object) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _rows(events: QuerySet[AuditEvent], names_of: NamesOf | None) -> Iterator[dict]:
    for batch in batches(events):
        names = names_of(batch) if names_of is not None else {}
        for event in batch:
            yield row_of(event, names.get(event.target_id))


def csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    """A header, then one CSV line per row (Excel reads UTF-8 with the byte order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_cell(row[column]) for column in COLUMNS])
        yield buffer.getvalue()


def jsonl_lines(rows: Iterable[dict]) -> Iterator[bytes]:
    for row in rows:
        yield orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


def _chunks(lines: Iterable[str | bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines joined into chunks of about `size` bytes: one write per chunk, not per row."""
    parts: list[bytes] = []
    length = 0
    for line in lines:
        data = line.encode() if isinstance(line, str) else line
        parts.append(data)
        length += len(data)
        if length >= size:
            yield b"".join(parts)
            parts, length = [], 0
    if parts:
        yield b"".join(parts)


def export_lines(
    events: QuerySet[AuditEvent], *, file_format: str, names_of: NamesOf | None = None
) -> Iterator[bytes]:
    """The file's bytes, chunk by chunk."""
    rows = _rows(events, names_of)
    lines: Iterator[str] | Iterator[bytes] = (
        csv_lines(rows) if file_format == "csv" else jsonl_lines(rows)
    )
    return _chunks(lines)


def export_response(
    events: QuerySet[AuditEvent],
    *,
    file_format: str,
    filename: str,
    names_of: NamesOf | None = None,
) -> StreamingHttpResponse:
    """A download of `events` (already filtered and scoped by the caller) as CSV or JSONL."""
    content_type, extension = FORMATS[file_format]
    response = StreamingHttpResponse(
        export_lines(events, file_format=file_format, names_of=names_of),
        content_type=content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
