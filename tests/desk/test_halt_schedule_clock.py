"""No schedule backlog accrues while an order cannot trade: after a desk HALT (or an order PAUSE) of several
decision intervals, the resumed TWAP proposes its normal slice — the schedule continues from where it stopped
and the deadline moves by the time stood still — not a catch-up of every slice missed while halted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.context import order_progress
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_pause, parent_order_resume
from execdesk.desk.services.proposals import proposal_reject

pytestmark = pytest.mark.django_db

QTY, HORIZON_S, INTERVAL_S = "1.2", 600, 60  # TWAP: 10 slices of 0.12 BTC, one a minute
SLICE = Decimal("0.12")
STOOD_S = 5 * INTERVAL_S + 7  # the halt (or pause) lasts five intervals and a bit




@pytest.fixture
def twap_order(make_order, alice):
    """A started TWAP order whose first slice was proposed and rejected: nothing executed, one slice due."""
    parent = make_order(quantity=QTY, horizon=HORIZON_S, interval=INTERVAL_S)
    first = execution_step(parent_id=parent.pk)
    assert first is not None and first.baseline_qty == SLICE
    proposal_reject(proposal_id=first.pk, user=alice, reason="not yet")
    return ParentOrder.objects.get(pk=parent.pk)


def _next_slice(parent: ParentOrder) -> Decimal:
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None, "the resumed order made no proposal"
    return proposal.baseline_qty


def test_after_a_desk_halt_of_five_intervals_twap_proposes_its_normal_slice(bob, clock, twap_order):
    deadline = twap_order.deadline
    clock.advance(1)
    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    clock.advance(STOOD_S)
    desk_trading_state_set(user=bob, state="ACTIVE", reason="incident over")
    assert _next_slice(twap_order) == SLICE, "a catch-up slice after the halt"
    twap_order.refresh_from_db()
    assert twap_order.deadline == deadline + timedelta(seconds=STOOD_S)
    assert twap_order.clock_stopped_at is None and twap_order.clock_shift_seconds == STOOD_S
    progress = order_progress(twap_order)
    assert progress.horizon == HORIZON_S and progress.now - progress.started_at == pytest.approx(1)


def test_after_an_order_pause_of_five_intervals_twap_proposes_its_normal_slice(alice, clock, twap_order):
    clock.advance(1)
    parent_order_pause(parent_id=twap_order.pk, user=alice, reason="news due")
    clock.advance(STOOD_S)
    parent_order_resume(parent_id=twap_order.pk, user=alice, reason="news out")
    assert _next_slice(twap_order) == SLICE, "a catch-up slice after the pause"


def test_a_paused_order_stays_stopped_through_the_desk_resume_until_its_own(alice, bob, clock, twap_order):
    clock.advance(1)
    parent_order_pause(parent_id=twap_order.pk, user=alice, reason="news due")
    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    clock.advance(INTERVAL_S)
    parent_order_resume(parent_id=twap_order.pk, user=alice, reason="news out")  # the desk is still halted
    clock.advance(INTERVAL_S)
    desk_trading_state_set(user=bob, state="ACTIVE", reason="incident over")
    clock.advance(2 * INTERVAL_S)
    twap_order.refresh_from_db()
    assert twap_order.clock_shift_seconds == 2 * INTERVAL_S  # stood from the pause to the desk's resume
    progress = order_progress(twap_order)
    assert progress.now - progress.started_at == pytest.approx(1 + 2 * INTERVAL_S)
