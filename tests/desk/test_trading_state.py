"""The desk-wide trading state: only a supervisor changes it, with a reason; the risk gate obeys it."""


import pytest
from django.core.exceptions import PermissionDenied

from execdesk.desk.models import AuditEvent, ChildOrder, DeskState, ParentOrder
from execdesk.desk.services.desk_state import desk_trading_state, desk_trading_state_set
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.proposals import proposal_override
from execdesk.desk.services.trading_gate import net_position

pytestmark = pytest.mark.django_db


def _check(proposal, code):
    return next(c for c in proposal.risk_checks if c["code"] == code)


def test_the_desk_starts_active():
    assert desk_trading_state() == "ACTIVE"


def test_only_a_supervisor_changes_the_state_and_a_reason_is_required(alice, bob, charlie):
    for user in (alice, charlie):
        with pytest.raises(PermissionDenied, match="supervisor"):
            desk_trading_state_set(user=user, state="HALTED", reason="panic")
    with pytest.raises(InvalidInput, match="reason is required"):
        desk_trading_state_set(user=bob, state="HALTED", reason="  ")
    with pytest.raises(InvalidInput, match="unknown trading state 'STOPPED'"):
        desk_trading_state_set(user=bob, state="STOPPED", reason="x")
    assert not DeskState.objects.exists()


def test_halt_cancels_open_child_orders_and_is_audited(alice, bob, make_order, proposal_for,
                                                       django_capture_on_commit_callbacks):
    parent = make_order()
    proposal = proposal_for(parent)
    below = str(round(float(proposal.market["best_bid"]) * 0.995, 1))
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="limit",
                          limit_price=below, reason="rest below the market")
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.status == "submitted"

    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    child.refresh_from_db()
    assert child.status == "cancelled"
    event = AuditEvent.objects.get(action="desk.trading_state")
    assert event.payload["to"] == "HALTED" and event.payload["child_orders_cancelled"] == 1
    assert event.payload["orders_failed"] == []
    assert event.actor_label == "bob"


def test_reducing_allows_only_orders_that_cut_the_net_position(alice, bob, make_order, proposal_for):
    long_order = make_order(start=False)
    ParentOrder.objects.filter(pk=long_order.pk).update(executed_qty="0.3")  # the desk is long 0.3 BTC
    assert net_position("BTCUSDT") == pytest.approx(0.3)
    buy_order = make_order(side="buy")  # working before the desk turns REDUCING
    desk_trading_state_set(user=bob, state="REDUCING", reason="risk limit reached")

    buy = proposal_for(buy_order)
    sell = proposal_for(make_order(side="sell", quantity="0.2"))
    assert buy.action != "WAIT" and sell.action != "WAIT"
    assert not _check(buy, "trading_state")["passed"] and buy.risk_blocked
    assert _check(sell, "trading_state")["passed"]


def test_halt_withdraws_pending_proposals(alice, bob, make_order, proposal_for):
    pending = proposal_for(make_order())
    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    pending.refresh_from_db()
    assert pending.status == "superseded" and pending.decision_reason == "desk halted"


def test_after_a_resume_the_withdrawn_proposal_is_replaced_at_once(alice, bob, make_order, proposal_for):
    parent = make_order(interval=120)
    pending = proposal_for(parent)
    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    desk_trading_state_set(user=bob, state="ACTIVE", reason="incident over")
    pending.refresh_from_db()
    assert pending.status == "superseded" and pending.decision_reason == "desk halted"
    fresh = proposal_for(parent)  # at once, not an interval (120 s) after the withdrawn one
    assert fresh.seq == pending.seq + 1 and not fresh.risk_blocked
