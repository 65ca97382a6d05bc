"""Audit events join the chain just before their transaction commits (no desk-wide lock): a rolled-back
transaction or savepoint leaves no event, and what commits is one intact, signed chain."""

from __future__ import annotations

import pytest

from execdesk.desk.access.roles import SYSTEM
from execdesk.desk.audit.verify import audit_verify
from execdesk.desk.models import AuditEvent
from execdesk.desk.services.atomic import desk_atomic, desk_savepoint
from execdesk.desk.services.audit import audit_record

pytestmark = pytest.mark.django_db


def _record(action: str) -> None:
    audit_record(actor=SYSTEM, action=action, object_type="test", object_id="1")


def test_events_of_a_rolled_back_savepoint_are_dropped_with_its_rows():
    with desk_atomic():
        _record("test.kept")
        with pytest.raises(ValueError):
            with desk_atomic():  # a nested service that fails, its error handled by the caller
                _record("test.dropped_nested")
                raise ValueError
        with pytest.raises(ValueError):
            with desk_savepoint():
                _record("test.dropped_savepoint")
                raise ValueError
        _record("test.kept_after")

    actions = list(AuditEvent.objects.filter(object_type="test").values_list("action", flat=True))
    assert actions == ["test.kept", "test.kept_after"]
    assert audit_verify().ok


def test_a_rolled_back_transaction_leaves_no_event():
    with pytest.raises(ValueError):
        with desk_atomic():
            _record("test.rolled_back")
            raise ValueError
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()


def test_events_are_chained_in_commit_order_with_times_that_never_go_back():
    for i in range(3):
        with desk_atomic():
            _record(f"test.{i}a")
            _record(f"test.{i}b")
    events = list(AuditEvent.objects.order_by("id"))
    assert all(b.prev_hash == a.hash and b.ts >= a.ts for a, b in zip(events, events[1:], strict=False))
    assert audit_verify().ok
