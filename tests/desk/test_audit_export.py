"""Auditors take the trail away as CSV or JSON — one order, or a time range — and every exported row still
re-hashes to its recorded hash; bad requests get a 400 that names the problem; spreadsheets cannot be
tricked into running a cell; secrets stay out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.audit.export import audit_csv, audit_rows
from execdesk.desk.models import AuditEvent
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.errors import InvalidInput
from tests.desk.audit_chain import build_chain, sql_insert

pytestmark = pytest.mark.django_db

CSV_URL = reverse("desk:review_export", args=["csv"])
JSON_URL = reverse("desk:review_export", args=["json"])


@pytest.fixture
def orders(alice, bob, make_order, proposal_for, django_capture_on_commit_callbacks):
    """Two orders (the first through every outcome) and one desk-wide event that belongs to no order."""
    first = make_order()
    build_chain(first, trader=alice, proposal_for=proposal_for, capture=django_capture_on_commit_callbacks)
    second = make_order(quantity="0.2")
    desk_trading_state_set(user=bob, state="REDUCING", reason="end of quarter")
    return first, second


def _body(response) -> str:
    assert response.streaming, "exports stream: a long trail is never held in memory whole"
    return b"".join(response.streaming_content).decode()


def rehash(row: dict) -> str:
    """What anyone can compute from an exported row, without the desk's code."""
    body = {k: row[k] for k in ("ts", "actor", "role", "action", "object_type", "object_id", "parent_order_id",
                                "payload", "market_ref")}
    return hashlib.sha256((row["prev_hash"] + json.dumps(body, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()


def _from_csv(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row["id"] = int(row["id"])
        row["parent_order_id"] = int(row["parent_order_id"]) if row["parent_order_id"] else None
        row["payload"], row["market_ref"] = json.loads(row["payload"]), json.loads(row["market_ref"])
    return rows


def test_the_csv_of_one_order_round_trips_its_events(client, charlie, orders):
    first, _ = orders
    client.force_login(charlie)
    response = client.get(CSV_URL, {"order": first.pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="audit_order-{first.pk}.csv"'
    rows = _from_csv(_body(response))
    events = list(AuditEvent.objects.filter(parent_order_id=first.pk).order_by("id"))
    assert [r["id"] for r in rows] == [e.pk for e in events]
    assert [(r["action"], r["actor"], r["payload"], r["hash"]) for r in rows] == [
        (e.action, e.actor_label, e.payload, e.hash) for e in events]
    assert all(rehash(r) == r["hash"] for r in rows)


def test_the_json_of_one_order_round_trips_its_events(client, charlie, orders):
    first, _ = orders
    client.force_login(charlie)
    response = client.get(JSON_URL, {"order": first.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    rows = json.loads(_body(response))
    assert rows == list(audit_rows(parent_id=first.pk))
    assert {r["parent_order_id"] for r in rows} == {first.pk}
    assert [r["id"] for r in rows] == list(AuditEvent.objects.filter(parent_order_id=first.pk)
                                           .order_by("id").values_list("id", flat=True))
    assert all(rehash(r) == r["hash"] for r in rows)
    assert all(a["hash"] == b["prev_hash"] for a, b in zip(rows, rows[1:], strict=False) if b["id"] == a["id"] + 1)


def test_a_date_range_exports_every_event_in_it_desk_wide_ones_included(client, bob, orders):
    client.force_login(bob)
    today = timezone.now().date().isoformat()
    response = client.get(JSON_URL, {"since": today, "until": today})
    assert response["Content-Disposition"].startswith('attachment; filename="audit_')
    rows = json.loads(_body(response))
    assert [r["id"] for r in rows] == list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert any(r["action"] == "desk.trading_state" and r["parent_order_id"] is None for r in rows)
    # the whole trail exported: it is the hash chain itself, each row linking to the one before
    assert rows[0]["prev_hash"] == "0" * 64
    assert all(a["hash"] == b["prev_hash"] for a, b in zip(rows, rows[1:], strict=False))
    csv_rows = _from_csv(_body(client.get(CSV_URL, {"since": today, "until": today})))
    assert [r["hash"] for r in csv_rows] == [r["hash"] for r in rows]


def test_a_range_selects_by_time_to_the_minute(client, charlie, orders):
    client.force_login(charlie)
    first_ts = AuditEvent.objects.order_by("id").first().ts
    before = (first_ts - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    assert json.loads(_body(client.get(JSON_URL, {"until": before}))) == []
    rows = json.loads(_body(client.get(JSON_URL, {"since": before})))
    assert len(rows) == AuditEvent.objects.count()


@pytest.mark.parametrize("params,message", [
    ({}, "give ?order=<id> or a range"),
    ({"since": "2026-03-02", "until": "2026-03-01"}, "'since' must be before 'until'"),
    ({"since": "2026-03-01T10:00", "until": "2026-03-01T10:00"}, "'since' must be before 'until'"),
    ({"since": "yesterday"}, "since: 'yesterday' is not a day (YYYY-MM-DD)"),
    ({"until": "2026-13-01"}, "until: '2026-13-01' is not a day"),
    ({"order": "abc"}, "order must be a parent order id"),
    ({"order": "999999"}, "parent order 999999 does not exist"),
])
def test_bad_export_requests_get_a_400_naming_the_problem(client, charlie, params, message):
    client.force_login(charlie)
    for url in (CSV_URL, JSON_URL):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)
        assert message in response.content.decode()


def test_an_unknown_export_format_is_not_found(client, charlie):
    client.force_login(charlie)
    assert client.get(reverse("desk:review_export", args=["xlsx"]), {"order": 1}).status_code == 404


def test_bad_ranges_are_refused_before_the_first_row(orders):
    first, _ = orders
    now = timezone.now()
    with pytest.raises(InvalidInput, match="give a parent order or a time range"):
        audit_rows()
    with pytest.raises(InvalidInput, match="must be before until"):
        audit_rows(since=now, until=now - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="parent order 999999 does not exist"):
        audit_rows(parent_id=999999)
    assert len(list(audit_rows(parent_id=first.pk, since=now - timedelta(hours=1)))) > 10


def test_cells_that_a_spreadsheet_would_run_are_neutralised(client, charlie, orders):
    client.force_login(charlie)  # first: the login is audited too, and the event below must be the last
    with desk_atomic():
        audit_record(actor=Actor(label='=HYPERLINK("http://evil.example","x")', role="system"),
                     action="+cmd|' /C calc'!A0", object_type="@SUM(1+1)", object_id="-2+3",
                     payload={"note": "=1+1"})
    text = _body(client.get(CSV_URL, {"since": "2000-01-01"}))
    last = list(csv.reader(io.StringIO(text)))[-1]
    assert last[2:7] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "system", "'+cmd|' /C calc'!A0",
                         "'@SUM(1+1)", "'-2+3"]
    assert last[8] == '{"note":"=1+1"}', "JSON columns start with '{' and need no quote"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in csv.reader(io.StringIO(text)) for cell in row)


def test_a_negative_number_is_not_mistaken_for_a_formula():
    line = list(audit_csv([{"id": 1, "ts": "t", "actor": "a", "role": "r", "action": "x", "object_type": "o",
                            "object_id": "1", "parent_order_id": -1, "payload": {}, "market_ref": {},
                            "prev_hash": "p", "hash": "h"}]))[1]
    assert line == "1,t,a,r,x,o,1,-1,{},{},p,h\r\n"


def test_secrets_are_absent_from_both_exports(client, charlie, alice, orders, monkeypatch):
    secret = "sk-ant-test-0123456789abcdef"
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    with desk_atomic():
        audit_record(actor=Actor.of(alice), action="test.secret", object_type="x", object_id="1",
                     payload={"api_key": secret, "note": f"the key is {secret}"})
    # and a secret that reached the table past the desk (raw SQL) is still not let out
    leaked = AuditEvent(ts=timezone.now(), actor_label="alice", role="trader", action="test.leak", object_type="x",
                        object_id="2", payload={"note": f"pasted {secret}"}, market_ref={}, prev_hash="0" * 64,
                        hash="e" * 64)
    sql_insert(leaked)
    client.force_login(charlie)
    for url in (CSV_URL, JSON_URL):
        body = _body(client.get(url, {"since": "2000-01-01"}))
        assert "test.secret" in body and "test.leak" in body
        assert secret not in body


def test_only_auditors_and_supervisors_may_export(client, alice, make_order):
    first = make_order(start=False)
    assert client.get(CSV_URL, {"order": first.pk}).status_code == 302
    assert "login" in client.get(JSON_URL, {"order": first.pk})["Location"]
    client.force_login(alice)
    assert client.get(CSV_URL, {"order": first.pk}).status_code == 403
    assert client.get(JSON_URL, {"order": first.pk}).status_code == 403


def test_under_asgi_the_export_is_served_by_an_async_stream(charlie, orders):
    """Daphne serves the desk: given a sync iterator, Django would read the whole export into memory first."""
    first, _ = orders
    client = AsyncClient()

    async def fetch():
        await client.aforce_login(charlie)
        response = await client.get(JSON_URL, {"order": first.pk})
        return response, "".join([chunk.decode() async for chunk in response.streaming_content])

    response, body = async_to_sync(fetch)()
    assert response.status_code == 200 and response.is_async
    assert json.loads(body) == list(audit_rows(parent_id=first.pk))
