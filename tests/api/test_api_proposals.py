"""Proposals through the API: the pending list, and approve / reject / override exactly once, each checked by
the risk gate as on the page."""

from __future__ import annotations

import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal

pytestmark = pytest.mark.django_db


def test_the_list_shows_pending_proposals_by_default_and_filters_by_order(as_alice, make_order, proposal_for):
    first, second = make_order(), make_order()
    p1, p2 = proposal_for(first), proposal_for(second)
    pending = as_alice.get("/api/proposals").json()
    assert pending["count"] == 2 and {p["id"] for p in pending["items"]} == {p1.pk, p2.pk}
    assert all(p["status"] == "pending" and p["reasoning"] for p in pending["items"])
    only = as_alice.get("/api/proposals", order=second.pk).json()
    assert [p["id"] for p in only["items"]] == [p2.pk]
    as_alice.post(f"/api/proposals/{p1.pk}/reject", {"reason": "spread looks fake"})
    assert [p["id"] for p in as_alice.get("/api/proposals").json()["items"]] == [p2.pk]
    rejected = as_alice.get("/api/proposals", status="rejected").json()["items"]
    assert [(p["id"], p["decided_by"], p["decision_reason"]) for p in rejected] == [(p1.pk, "alice", "spread looks fake")]


def test_get_one_proposal_and_404_for_an_unknown_one(as_alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    body = as_alice.get(f"/api/proposals/{proposal.pk}").json()
    assert (body["id"], body["order_id"], body["seq"]) == (proposal.pk, proposal.parent_id, 1)
    assert {c["code"] for c in body["risk_checks"]} >= {"max_volatility"}
    missing = as_alice.get("/api/proposals/999")
    assert (missing.status_code, missing.json()["detail"]) == (404, "proposal 999 does not exist")


def test_approve_happens_once_a_second_approval_is_409(as_alice, as_bob, make_order, proposal_for):
    proposal = proposal_for(make_order())
    approved = as_alice.post(f"/api/proposals/{proposal.pk}/approve")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "alice")
    again = as_bob.post(f"/api/proposals/{proposal.pk}/approve")
    assert again.status_code == 409
    assert again.json()["detail"] == f"proposal #1 of order {proposal.parent_id} is already approved by alice; cannot approve it"
    assert ChildOrder.objects.filter(proposal=proposal).count() == 1
    assert AuditEvent.objects.filter(action="proposal.approved", object_id=str(proposal.pk)).count() == 1


def test_reject_needs_a_reason(as_alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    blank = as_alice.post(f"/api/proposals/{proposal.pk}/reject", {"reason": "   "})
    assert blank.status_code == 422 and blank.json()["detail"] == "a reason is required to reject a proposal"
    absent = as_alice.post(f"/api/proposals/{proposal.pk}/reject", {})
    assert absent.status_code == 422 and "reason: Field required" in absent.json()["detail"]
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"
    done = as_alice.post(f"/api/proposals/{proposal.pk}/reject", {"reason": "spread looks fake"})
    assert done.status_code == 200 and done.json()["decision_reason"] == "spread looks fake"


def test_an_override_is_rechecked_by_the_risk_gate_and_a_breach_is_409_with_the_checks(as_alice, make_order,
                                                                                       proposal_for):
    proposal = proposal_for(make_order())
    r = as_alice.post(f"/api/proposals/{proposal.pk}/override",
                      {"quantity": "1.5", "order_type": "market", "reason": "all of it now"})
    assert r.status_code == 409
    body = r.json()
    assert body["detail"].startswith("risk gate blocks it")
    assert body["checks"] and any(not c["passed"] for c in body["checks"])
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"
    assert AuditEvent.objects.filter(action="proposal.override_refused").exists()


def test_a_compliant_override_sends_the_human_terms(as_alice, make_order, proposal_for,
                                                    django_capture_on_commit_callbacks):
    proposal = proposal_for(make_order())
    with django_capture_on_commit_callbacks(execute=True):
        r = as_alice.post(f"/api/proposals/{proposal.pk}/override",
                          {"quantity": "0.01", "order_type": "market", "reason": "take it now"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["final_quantity"], r.json()["final_order_type"]) == ("overridden", "0.01", "market")
    assert ChildOrder.objects.get(proposal=proposal).status == "filled"


@pytest.mark.parametrize("terms,message", [
    ({"quantity": "0.01", "order_type": "limit"}, "a limit order needs a limit price"),
    ({"quantity": "0.01", "order_type": "limit", "limit_price": "65000.05"}, "not on the 0.1 tick"),
    ({"quantity": "0.01", "order_type": "stop"}, "order_type: Input should be"),
    ({"quantity": "0.01", "order_type": "market", "tif": "FOK"}, "tif: Input should be"),
    ({"quantity": "-0.01", "order_type": "market"}, "quantity: must not be negative"),
])
def test_a_malformed_override_is_422_naming_the_problem(as_alice, make_order, proposal_for, terms, message):
    proposal = proposal_for(make_order())
    r = as_alice.post(f"/api/proposals/{proposal.pk}/override", {**terms, "reason": "try"})
    assert r.status_code == 422 and message in r.json()["detail"]


def test_approving_a_proposal_that_breaks_a_hard_limit_is_refused_with_the_checks(as_alice, as_bob, make_order,
                                                                                  proposal_for):
    long_order = make_order(start=False)
    ParentOrder.objects.filter(pk=long_order.pk).update(executed_qty="0.3")  # the desk is long 0.3 BTC
    buy_order = make_order(side="buy")  # working before the desk turns REDUCING (it could not start after)
    assert as_bob.post("/api/desk/state", {"state": "REDUCING", "reason": "risk limit"}).status_code == 200
    buy = proposal_for(buy_order)
    assert buy.risk_blocked and buy.action != "WAIT"
    r = as_alice.post(f"/api/proposals/{buy.pk}/approve")
    assert r.status_code == 409 and "breaks a hard limit" in r.json()["detail"]
    assert any(c["code"] == "trading_state" and not c["passed"] for c in r.json()["checks"])
    assert not ChildOrder.objects.exists()
