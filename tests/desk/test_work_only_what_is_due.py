"""The desk's tick steps only the orders whose next step is due: an order with a 30 s interval costs
nothing between its steps; a decision on its proposal makes it due again at once."""

from __future__ import annotations

import time

import pytest

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.execution import desk_tick
from execdesk.desk.services.proposals import proposal_reject

pytestmark = pytest.mark.django_db


def test_an_order_is_not_stepped_again_before_its_interval(alice, make_order, proposal_for):
    parent = make_order(interval=30, mode="manual")
    assert parent.pk in desk_tick()  # just started: due at once

    proposal_for(parent)  # its first proposal waits for alice

    now = time.time()
    assert parent.pk not in desk_tick(now=now)
    assert parent.pk not in desk_tick(now=now + 20)
    assert parent.pk in desk_tick(now=now + 31)  # the proposal's time to live (30 s) ran out by then


def test_an_order_whose_proposal_is_decided_is_looked_at_on_the_next_tick(alice, make_order, proposal_for):
    parent = make_order(interval=30, mode="manual")
    proposal = proposal_for(parent)
    assert parent.pk not in desk_tick()

    proposal_reject(proposal_id=proposal.pk, user=alice, reason="not now")

    assert parent.pk in desk_tick()


def test_each_step_records_when_the_next_one_is_due(alice, make_order, proposal_for):
    parent = make_order(interval=30, mode="manual")
    proposal = proposal_for(parent)

    due = ParentOrder.objects.values_list("next_step_at", flat=True).get(pk=parent.pk)

    assert abs((due - proposal.created_at).total_seconds() - 30) < 1  # one interval after this step


def test_a_paused_order_is_not_stepped_and_a_resumed_one_is_due_at_once(alice, make_order, proposal_for):
    from execdesk.desk.services.parent_orders import parent_order_pause, parent_order_resume

    parent = make_order(interval=30, mode="manual")
    proposal_for(parent)
    parent_order_pause(parent_id=parent.pk, user=alice, reason="lunch")
    assert parent.pk not in desk_tick()

    parent_order_resume(parent_id=parent.pk, user=alice, reason="back")

    assert parent.pk in desk_tick()


def test_a_step_queued_for_its_time_is_not_queued_again_until_it_is_overdue(alice, make_order, proposal_for):
    from datetime import timedelta

    from execdesk.desk.selectors.steps import parent_orders_due_within
    from execdesk.desk.services.step_due import parent_steps_queued

    parent = make_order(interval=30, mode="manual")
    proposal_for(parent)
    due = ParentOrder.objects.values_list("next_step_at", flat=True).get(pk=parent.pk)
    before = due - timedelta(seconds=0.5)
    assert (parent.pk, due) in parent_orders_due_within(now=before, seconds=1)

    parent_steps_queued([(parent.pk, due)])  # the tick (or the step before) queued its task for `due`

    assert parent.pk not in [pk for pk, _ in parent_orders_due_within(now=before, seconds=1)]
    assert parent.pk not in [pk for pk, _ in parent_orders_due_within(now=due + timedelta(seconds=1), seconds=1)]
    # its task was lost: two seconds overdue, the tick queues it again
    assert parent.pk in [pk for pk, _ in parent_orders_due_within(now=due + timedelta(seconds=2.5), seconds=1)]


def test_a_step_that_moved_the_due_time_is_not_marked_queued_for_the_old_one(alice, make_order, proposal_for):
    from datetime import timedelta

    from execdesk.desk.services.step_due import parent_steps_queued

    parent = make_order(interval=30, mode="manual")
    proposal_for(parent)
    due = ParentOrder.objects.values_list("next_step_at", flat=True).get(pk=parent.pk)

    parent_steps_queued([(parent.pk, due - timedelta(seconds=3))])  # queued for a time the order no longer has

    assert ParentOrder.objects.values_list("step_queued_for", flat=True).get(pk=parent.pk) is None
