"""A marketable paper send takes liquidity without the symbol's market row: it records its take, the next
load under the row's lock (the tick) replays the takes in order into the state it saves, and a later send sees
the takes before it. The saved market ends exactly as if every take had been made under the lock."""

from __future__ import annotations

import copy
import json

import pytest

from execdesk.desk.models import ChildOrder, MarketState, PaperTake, Proposal, ProposalStatus
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.market import market_load
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.orders import Side
from execdesk.market.sim import SimMarket
from tests.integration.faults import autopilot_orders

pytestmark = pytest.mark.django_db(transaction=True)  # the sends go when the approvals commit


def _saved() -> dict:
    return copy.deepcopy(MarketState.objects.get(symbol="BTCUSDT").state)


def _manual_orders(user, n: int):
    orders = []
    for i in range(n):
        parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy" if i % 2 == 0 else "sell",
                                     quantity="0.02", horizon_seconds=30, interval_seconds=5, approval_mode="manual")
        parent_order_start(parent_id=parent.pk, user=user)
        orders.append(parent)
    return orders


def _tick() -> None:
    row = MarketState.objects.get(symbol="BTCUSDT")
    gateway_for("paper").advance({"BTCUSDT"}, now=SimMarket.from_state(row.state["market"]).ts)


def test_a_market_send_records_its_take_and_leaves_the_market_row_to_the_tick(alice):
    with desk_atomic():
        market_load("BTCUSDT")
    before = _saved()

    order = autopilot_orders(alice, 1)[0]  # starts: the first step proposes, autopilot approves, the send goes

    child = ChildOrder.objects.get(parent=order)
    assert child.status == "filled" and child.venue_order_id == f"paper-t{child.pk}"
    take = PaperTake.objects.get()
    assert (take.side, take.order_link_id, take.impact) == ("buy", child.order_link_id, True)
    assert _saved() == before  # the send did not write the market row
    expected = SimMarket.from_state(before["market"])
    walked = expected.take(Side.BUY, take.qty, limit_price=take.limit_price)
    assert sum(q for _p, q in walked) == pytest.approx(float(child.filled_qty))

    _tick()

    after = _saved()
    assert after["folded_take_id"] == take.pk
    assert after["market"] == json.loads(json.dumps(expected.to_state()))  # as stored


def test_a_second_send_prices_off_the_first_ones_take_before_any_tick(alice):
    orders = _manual_orders(alice, 2)  # started (each start advances the market); proposals wait for a human
    before = _saved()
    proposals = [Proposal.objects.get(parent=o, status=ProposalStatus.PENDING) for o in orders]

    for proposal in proposals:  # approved one after the other: each send goes when its approval commits
        proposal_approve(proposal_id=proposal.pk, user=alice)

    takes = list(PaperTake.objects.order_by("id"))
    assert [t.side for t in takes] == ["buy", "sell"]
    sequential = SimMarket.from_state(before["market"])
    sequential.take(Side.BUY, takes[0].qty)
    walked = sequential.take(Side.SELL, takes[1].qty)
    fills = ChildOrder.objects.get(parent=orders[1]).fills.order_by("id")
    assert [float(f.price) for f in fills] == pytest.approx([p for p, _q in walked], abs=0.1)  # tick-rounded
    assert _saved() == before


def test_takes_folded_into_a_replaced_state_are_pruned(alice):
    with desk_atomic():
        market_load("BTCUSDT")
    autopilot_orders(alice, 1)
    first = PaperTake.objects.get()
    _tick()  # folds the first take
    assert PaperTake.objects.filter(pk=first.pk).exists()  # a reader of the state before may still need it
    _tick()  # replaces the state that folded it

    assert not PaperTake.objects.filter(pk=first.pk).exists()
    assert _saved()["folded_take_id"] == first.pk
