"""On the desk every end-time policy brings the order to its terminal state on time, also when its steps lag:
the tick ends it at its end whether or not a step ran (no more "0:00 (horizon over)" orders proposing a final
cross interval after interval). finish proposes the cross of the remainder in the last interval and ends
EXPIRED one interval past the deadline; expire ends at the deadline, withdrawing the pending proposal and
cancelling what rests, with the remainder and its completion cost audited; continue works on past the
deadline at the last rate until done or cancelled."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_pause, parent_order_resume
from execdesk.domain.orders import ChildStatus

pytestmark = pytest.mark.django_db

QTY, HORIZON_S, INTERVAL_S = "1.2", 600, 60  # TWAP: 10 slices of 0.12 BTC, one a minute




def _order(make_order, policy: str) -> ParentOrder:
    parent = make_order(quantity=QTY, horizon=HORIZON_S, interval=INTERVAL_S, end_policy=policy)
    assert parent.end_policy == policy
    return parent


def _expired_event(parent: ParentOrder) -> AuditEvent:
    return AuditEvent.objects.get(parent_order_id=parent.pk, action="parent.expired")


def test_the_default_policy_is_finish(make_order):
    assert make_order(start=False).end_policy == "finish"


def test_expire_ends_the_order_at_its_deadline_though_no_step_ran_since_the_first(clock, make_order):
    parent = _order(make_order, "expire")
    ParentOrder.objects.filter(pk=parent.pk).update(proposal_ttl_seconds=2 * HORIZON_S)  # still pending at the end
    first = execution_step(parent_id=parent.pk)
    assert first is not None and first.status == ProposalStatus.PENDING  # manual: nobody answers it
    clock.advance(HORIZON_S - 1)
    clock.tick()
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"
    clock.advance(1)
    clock.tick()  # the steps lag: none ran, the tick ends it all the same
    parent.refresh_from_db()
    assert parent.status == "EXPIRED" and parent.ended_at == clock.now
    assert Proposal.objects.get(pk=first.pk).status == ProposalStatus.SUPERSEDED
    payload = _expired_event(parent).payload
    assert payload["end_policy"] == "expire" and Decimal(payload["remaining"]) == Decimal(QTY)
    assert payload["completion_cost_bps"] is not None and payload["completion_cost_bps"] > 0
    assert parent.tca["is_completion_bps"] > 0  # the remainder is charged what completing it would cost
    assert execution_step(parent_id=parent.pk) is None  # nothing more is proposed


def test_expire_cancels_what_rests_at_the_deadline(clock, make_order, alice):
    parent = _order(make_order, "expire")
    proposal = execution_step(parent_id=parent.pk)
    from execdesk.desk.services.proposals import proposal_override

    price = Decimal(str(round(float(parent.decision_price) * 0.991, 1)))  # 90 bps under the market: it rests
    proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.12", order_type="limit", limit_price=str(price),
                      tif="GTC", reason="post it low")
    child = ChildOrder.objects.get(parent=parent)
    assert ChildStatus(child.status).is_open
    clock.advance(HORIZON_S)
    clock.tick()
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.status == "EXPIRED"
    assert child.status == ChildStatus.CANCELLED


def test_finish_proposes_the_remainder_in_its_last_interval_and_ends_one_interval_past_the_deadline(clock, make_order):
    parent = _order(make_order, "finish")
    execution_step(parent_id=parent.pk)
    clock.advance(HORIZON_S - INTERVAL_S + 1)  # the last interval: 59 s left
    clock.tick()
    final = execution_step(parent_id=parent.pk)
    assert final is not None and final.action == "AGGRESSIVE"
    assert final.quantity > 0 and "end policy finish" in final.reasoning
    assert final.baseline_qty == Decimal(QTY)
    clock.advance(INTERVAL_S - 1)
    clock.tick()
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"  # the final interval runs past the deadline
    clock.advance(INTERVAL_S)
    clock.tick()
    parent.refresh_from_db()
    assert parent.status == "EXPIRED"
    assert parent.ended_at == parent.deadline + timedelta(seconds=INTERVAL_S)
    assert _expired_event(parent).payload["end_policy"] == "finish"


def test_continue_works_on_at_the_last_rate_past_the_deadline_until_cancelled(clock, make_order, alice):
    parent = _order(make_order, "continue")
    execution_step(parent_id=parent.pk)
    clock.advance(HORIZON_S + 5 * INTERVAL_S)
    clock.tick()
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"
    late = execution_step(parent_id=parent.pk)
    assert late is not None and "end policy continue" in late.reasoning
    assert late.baseline_qty == Decimal("0.12")  # the last slice, not the whole 1.2 BTC backlog
    parent_order_cancel(parent_id=parent.pk, user=alice, reason="enough")
    assert ParentOrder.objects.get(pk=parent.pk).status == "CANCELLED"


def test_a_paused_order_does_not_expire_while_its_clock_stands(clock, make_order, alice):
    parent = _order(make_order, "expire")
    clock.advance(HORIZON_S / 2)
    parent_order_pause(parent_id=parent.pk, user=alice, reason="news")
    clock.advance(HORIZON_S)
    clock.tick()
    parent_order_resume(parent_id=parent.pk, user=alice, reason="calm")
    clock.tick()
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"
    clock.advance(HORIZON_S / 2)
    clock.tick()
    assert ParentOrder.objects.get(pk=parent.pk).status == "EXPIRED"


def test_an_unknown_end_policy_is_refused_by_name(make_order):
    from execdesk.desk.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown end policy 'whenever'; valid: finish, expire, continue"):
        make_order(end_policy="whenever", start=False)
