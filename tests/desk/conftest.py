from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from execdesk.desk.models import ParentOrder, Proposal
from execdesk.desk.services.execution import desk_tick, execution_step
from execdesk.desk.services.four_eyes import parent_needs_four_eyes
from execdesk.desk.services.parent_approval import parent_order_approve
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from tests.desk.bybit_desk import bybit_desk, bybit_live_desk  # noqa: F401  (the desk on the loopback Bybit)


@pytest.fixture
def make_order(alice, django_capture_on_commit_callbacks):
    def make(*, user=None, quantity="0.5", side="buy", start=True, mode="manual", horizon=600, interval=10,
             strategy="twap", venue="paper", symbol="BTCUSDT", approver=None, end_policy=None,
             max_catchup=None, limit_price=None, start_at=None):
        """`approver`: the supervisor who approves it before it starts when it is above four-eyes."""
        parent = parent_order_create(user=user or alice, symbol=symbol, side=side, quantity=quantity,
                                     horizon_seconds=horizon, interval_seconds=interval, approval_mode=mode,
                                     strategy=strategy, venue=venue, end_policy=end_policy,
                                     max_catchup=max_catchup, limit_price=limit_price, start_at=start_at)
        if approver is not None and parent_needs_four_eyes(parent):
            parent_order_approve(parent_id=parent.pk, user=approver)
        if start:
            parent_order_start(parent_id=parent.pk, user=user or alice)
        return ParentOrder.objects.get(pk=parent.pk)

    return make


@pytest.fixture
def proposal_for(django_capture_on_commit_callbacks):
    """Run one execution step for the order and return the proposal it made."""

    def step(parent: ParentOrder) -> Proposal:
        proposal = execution_step(parent_id=parent.pk)
        assert proposal is not None, "the execution step made no proposal"
        return proposal

    return step


def age_proposals(parent: ParentOrder, seconds: float) -> None:
    """Pretend the last proposals were made `seconds` ago (proposals, unlike audit events, may be edited)."""
    for p in Proposal.objects.filter(parent=parent):
        Proposal.objects.filter(pk=p.pk).update(created_at=p.created_at - timedelta(seconds=seconds),
                                                expires_at=min(p.expires_at, timezone.now() + timedelta(seconds=60)))


class DeskClock:
    """The desk's clock (django.utils.timezone.now), moved by hand; `tick()` runs the desk's tick at this time
    (the worker's beat)."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def tick(self) -> None:
        desk_tick(now=self.now.timestamp())


@pytest.fixture
def clock(monkeypatch) -> DeskClock:
    clock = DeskClock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock
