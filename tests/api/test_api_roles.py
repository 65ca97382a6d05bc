"""The desk's roles on every endpoint: anonymous callers get 401, the auditor reads but never writes, only a
supervisor sets the desk's trading state. Operations are taken from the OpenAPI schema, so a new endpoint
is covered the day it is added."""

from __future__ import annotations

import pytest

from execdesk.desk.api import api
from execdesk.desk.models import AuditEvent, DeskState, ParentOrder, Proposal

pytestmark = pytest.mark.django_db


def _operations(method: str | None = None) -> list[tuple[str, str]]:
    paths = api.get_openapi_schema(path_params={})["paths"]
    return [(m.upper(), path) for path, ops in paths.items() for m in ops if method in (None, m.upper())]


def _url(path: str, order_id: int, proposal_id: int) -> str:
    return path.format(order_id=order_id, proposal_id=proposal_id)


@pytest.fixture
def seeded(make_order, proposal_for) -> tuple[int, int]:
    parent = make_order()
    return parent.pk, proposal_for(parent).pk


def test_anonymous_callers_get_401_on_every_operation(anonymous, seeded):
    operations = _operations()
    assert len(operations) >= 15
    for method, path in operations:
        url = _url(path, *seeded)
        r = anonymous.get(url) if method == "GET" else anonymous.post(url, {})
        assert r.status_code == 401, f"{method} {path} answered {r.status_code}"
        assert r.json()["detail"].startswith("authentication required")


def test_the_auditor_gets_403_on_every_write_and_nothing_changes(as_charlie, seeded):
    events, statuses = AuditEvent.objects.count(), list(Proposal.objects.values_list("status", flat=True))
    writes = _operations("POST")
    assert len(writes) >= 10
    for _, path in writes:
        r = as_charlie.post(_url(path, *seeded), {"reason": "looks fine", "state": "HALTED"})
        assert r.status_code == 403, f"POST {path} answered {r.status_code}"
        assert "(you are auditor)" in r.json()["detail"]
    # nothing changed; each refused write is itself on the trail
    assert AuditEvent.objects.exclude(action="access.refused").count() == events
    assert AuditEvent.objects.filter(action="access.refused", actor_label="charlie").count() == len(writes)
    assert list(Proposal.objects.values_list("status", flat=True)) == statuses
    assert ParentOrder.objects.get(pk=seeded[0]).status == "ACTIVE"


def test_the_auditor_reads_orders_proposals_tca_the_desk_state_and_the_audit_trail(as_charlie, seeded):
    order_id, proposal_id = seeded
    for url in ("/api/orders", f"/api/orders/{order_id}", f"/api/orders/{order_id}/tca", "/api/proposals",
                f"/api/proposals/{proposal_id}", "/api/desk/state", f"/api/audit?order={order_id}"):
        assert as_charlie.get(url).status_code == 200, url


def test_a_trader_cannot_set_the_desk_state_a_supervisor_can(as_alice, as_bob):
    refused = as_alice.post("/api/desk/state", {"state": "HALTED", "reason": "panic"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "POST /api/desk/state needs the supervisor role (you are trader)"
    assert not DeskState.objects.exists()
    halted = as_bob.post("/api/desk/state", {"state": "HALTED", "reason": "exchange incident"})
    assert halted.status_code == 200
    assert (halted.json()["trading_state"], halted.json()["changed_by"]) == ("HALTED", "bob")
    assert as_alice.get("/api/desk/state").json()["reason"] == "exchange incident"


def test_the_desk_state_needs_a_known_state_and_a_reason(as_bob):
    unknown = as_bob.post("/api/desk/state", {"state": "STOPPED", "reason": "x"})
    assert unknown.status_code == 422 and "state: Input should be 'ACTIVE', 'REDUCING' or 'HALTED'" in unknown.json()["detail"]
    blank = as_bob.post("/api/desk/state", {"state": "HALTED", "reason": " "})
    assert blank.status_code == 422 and "reason is required" in blank.json()["detail"]
