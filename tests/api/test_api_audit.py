"""The audit trail through the API: streamed as JSON or CSV by the audit review's own export, for auditors
and supervisors."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from execdesk.desk.audit.export import COLUMNS
from execdesk.desk.models import AuditEvent

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    assert response.streaming, "the export is streamed, not built in memory"
    return b"".join(response.streaming_content).decode()


def test_the_auditor_exports_one_orders_events_as_json_in_chain_order(as_charlie, make_order, proposal_for):
    parent = make_order()
    proposal_for(parent)
    make_order()  # another order's events stay out
    r = as_charlie.get("/api/audit", order=parent.pk)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    rows = json.loads(_body(r))
    expected = list(AuditEvent.objects.filter(parent_order_id=parent.pk).order_by("id"))
    assert [row["id"] for row in rows] == [e.pk for e in expected]
    assert [row["hash"] for row in rows] == [e.hash for e in expected]
    assert {"parent.created", "proposal.created"} <= {row["action"] for row in rows}
    assert rows[0]["actor"] == "alice" and rows[0]["payload"]["symbol"] == "BTCUSDT"


def test_csv_export_of_a_time_range_has_the_documented_columns(as_bob, make_order):
    make_order()
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    r = as_bob.get("/api/audit", since=since, format="csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"] == 'attachment; filename="audit_range.csv"'
    table = list(csv.reader(io.StringIO(_body(r))))
    assert tuple(table[0]) == COLUMNS
    assert len(table) - 1 == AuditEvent.objects.count()


def test_a_time_range_in_the_future_exports_an_empty_array(as_charlie, make_order):
    make_order()
    r = as_charlie.get("/api/audit", since=(timezone.now() + timedelta(hours=1)).isoformat())
    assert json.loads(_body(r)) == []


@pytest.mark.parametrize("query,message", [
    ({}, "give a parent order or a time range"),
    ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "must be before until"),
    ({"order": 99}, "parent order 99 does not exist"),
    ({"since": "yesterday"}, "since: Input should be a valid datetime"),
    ({"order": 1, "format": "xml"}, "format: Input should be 'json' or 'csv'"),
])
def test_a_bad_export_query_is_422_naming_the_problem(as_charlie, query, message):
    r = as_charlie.get("/api/audit", **query)
    assert r.status_code == 422 and message in r.json()["detail"]


def test_a_trader_cannot_export_the_audit_trail(as_alice, make_order):
    parent = make_order()
    r = as_alice.get("/api/audit", order=parent.pk)
    assert r.status_code == 403
    assert r.json()["detail"] == "GET /api/audit needs the auditor or supervisor role (you are trader)"
