"""The audit trail as rows an auditor can take away: JSON-ready dicts, CSV lines, a streamed JSON array.

Each row carries the fields the hash covers under the names `AuditEvent.canonical()` uses, plus `id`,
`prev_hash` and `hash`, so an exported row can be re-hashed outside the desk:
sha256(prev_hash + json.dumps({ts, actor, role, action, object_type, object_id, parent_order_id, payload,
market_ref}, sort_keys=True, separators=(",", ":"))).

Secrets were redacted when the events were recorded; the export redacts again on the way out, which
changes nothing in an honestly recorded row (redaction is idempotent) and keeps a secret that somehow
reached the table from leaving it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from execdesk.desk.audit.redact import redact
from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.errors import InvalidInput

COLUMNS = ("id", "ts", "actor", "role", "action", "object_type", "object_id", "parent_order_id", "payload",
           "market_ref", "prev_hash", "hash")
CHUNK_SIZE = 1000
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIELDS = ("id", "ts", "actor_label", "role", "action", "object_type", "object_id", "parent_order_id", "payload",
           "market_ref", "prev_hash", "hash")


def audit_rows(*, parent_id: int | None = None, since: datetime | None = None,
               until: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The events of one parent order and/or a time range [since, until), in id (= chain) order, streamed.

    Naive datetimes are taken as UTC. Raises InvalidInput at once (before the first row) when neither an
    order nor a range is given, when the range is empty or reversed, or when the order does not exist."""
    since, until = _aware(since), _aware(until)
    if parent_id is None and since is None and until is None:
        raise InvalidInput("give a parent order or a time range (since and/or until) to export")
    if since is not None and until is not None and since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    if parent_id is not None and not ParentOrder.objects.filter(pk=parent_id).exists():
        raise InvalidInput(f"parent order {parent_id} does not exist")
    qs = AuditEvent.objects.all()
    if parent_id is not None:
        qs = qs.filter(parent_order_id=parent_id)
    if since is not None:
        qs = qs.filter(ts__gte=since)
    if until is not None:
        qs = qs.filter(ts__lt=until)
    return _rows(qs.order_by("id").values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE))


def _rows(values: Iterable[tuple]) -> Iterator[dict[str, Any]]:
    for pk, ts, actor, role, action, object_type, object_id, parent_order_id, payload, market, prev, digest in values:
        yield {"id": pk, "ts": ts.isoformat(), "actor": actor, "role": role, "action": action,
               "object_type": object_type, "object_id": object_id, "parent_order_id": parent_order_id,
               "payload": redact(payload), "market_ref": redact(market), "prev_hash": prev, "hash": digest}


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def audit_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV lines (header first); payload and market_ref as compact JSON; formula-like cells quoted."""
    line = _Line()
    writer = csv.writer(line)
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(row[c]) for c in COLUMNS])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _compact(value)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Line:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def audit_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one event per line, streamed."""
    yield "["
    sep = "\n"
    for row in rows:
        yield sep + json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False)
        sep = ",\n"
    yield "\n]\n"


def _compact(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
