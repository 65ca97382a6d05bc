"""A real audit trail for the audit tests: one order taken through every kind of decision by the desk's
own services (no event is written by hand)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal
from execdesk.desk.models.audit import audit_mac
from execdesk.desk.services.audit import GENESIS
from execdesk.desk.services.execution import proposal_expire_due
from execdesk.desk.services.proposals import proposal_approve, proposal_override, proposal_reject
from tests.desk.conftest import age_proposals


def next_proposal(parent: ParentOrder, proposal_for) -> Proposal:
    """The next proposal, made as if the order's last proposal and child order were a minute old."""
    age_proposals(parent, 120)
    for child in ChildOrder.objects.filter(parent=parent):
        ChildOrder.objects.filter(pk=child.pk).update(created_at=child.created_at - timedelta(seconds=120))
    return proposal_for(ParentOrder.objects.get(pk=parent.pk))


def build_chain(parent: ParentOrder, *, trader, proposal_for, capture) -> dict[str, Proposal]:
    """Override (a market order that fills), reject, let one expire, approve: every outcome on one order."""
    overridden = proposal_for(parent)
    with capture(execute=True):
        proposal_override(proposal_id=overridden.pk, user=trader, quantity="0.01", order_type="market",
                          reason="take it now, the book is thin")
    rejected = next_proposal(parent, proposal_for)
    proposal_reject(proposal_id=rejected.pk, user=trader, reason="spread looks fake")
    expired = next_proposal(parent, proposal_for)
    Proposal.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    proposal_expire_due()
    approved = next_proposal(parent, proposal_for)
    with capture(execute=True):
        proposal_approve(proposal_id=approved.pk, user=trader)
    return {"overridden": overridden, "rejected": rejected, "expired": expired, "approved": approved}


# ───────── tampering, as someone with write access to the database would: raw SQL, past the model ─────────

def _table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)


def _json(field: str, value: object) -> object:
    return AuditEvent._meta.get_field(field).get_db_prep_value(value, connection)


def sql_set_payload(event_id: int, payload: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET payload = %s WHERE id = %s", [_json("payload", payload), event_id])


def sql_delete(event_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [event_id])


def sql_insert(event) -> int:
    """Insert an unsaved AuditEvent's fields as a new row (whatever its hashes say); returns its id."""
    columns = ["ts", "actor_label", "role", "action", "object_type", "object_id", "parent_order_id", "payload",
               "market_ref", "prev_hash", "hash", "mac"]
    values = [connection.ops.adapt_datetimefield_value(event.ts), event.actor_label, event.role, event.action,
              event.object_type, event.object_id, event.parent_order_id, _json("payload", event.payload),
              _json("market_ref", event.market_ref), event.prev_hash, event.hash, event.mac]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table()} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                       values)
    return AuditEvent.objects.get(hash=event.hash).pk


def sql_rechain(*, mac_key: bytes | None = None) -> None:
    """What a database writer does after changing or deleting rows: recompute every hash from genesis so the
    chain links again — and, given `mac_key` (a key of their own; they do not have the desk's), re-sign each
    event with it. Without it the old signatures stay."""
    prev = GENESIS
    for event in AuditEvent.objects.order_by("id"):
        event.prev_hash = prev
        event.hash = event.compute_hash()
        mac = audit_mac(event.hash, mac_key) if mac_key is not None else event.mac
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {_table()} SET prev_hash = %s, hash = %s, mac = %s WHERE id = %s",
                           [event.prev_hash, event.hash, mac, event.pk])
        prev = event.hash


def sql_update(model, pk: int, **values: object) -> None:
    """Change a desk row (fill, child order, proposal, parent order) past the services, as raw SQL would."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [model._meta.get_field(name) for name in values]
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
    params = [f.get_db_prep_save(v, connection) for f, v in zip(columns, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*params, pk])


def sql_delete_row(model, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [pk])


def verify(*args: str) -> tuple[int, str]:
    """Run `verify_audit` as `manage.py` would; returns (exit status, stdout + the error it names)."""
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()
