"""Orders and cancels travel to the paper venue: an order meets the book of its arrival, a resting order
keeps filling until its cancel lands, and a run ends when its last cancel has landed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.orders import ChildStatus, Side
from execdesk.market.replay import ReplayMarket, TradeTape
from execdesk.venues.gateway import PaperGateway
from tests.market.test_replay_paper_venue import PARAMS, T0, request, write_tape

D = Decimal
# bid 65000.0 / ask 65000.1 until +10.03, when a buyer lifts 65000.2 and a seller hits 65000.1
MOVING = [(1.0, "Sell", "0.200", "65000.00"), (2.0, "Buy", "0.200", "65000.10"),
          (10.03, "Buy", "0.200", "65000.20"), (10.04, "Sell", "0.200", "65000.10")]
# a seller at our bid 0.02 s after we decide to cancel
HIT = [(1.0, "Sell", "0.200", "65000.00"), (2.0, "Buy", "0.200", "65000.10"), (10.02, "Sell", "0.500", "65000.00")]


def gateway(tmp_path: Path, rows: list, latency_s: float, at: float) -> PaperGateway:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)), params=PARAMS)
    market.advance_to(T0 + at)
    return PaperGateway(market, BTCUSDT, latency_s=latency_s)


def test_a_market_order_fills_at_the_book_of_its_arrival(tmp_path: Path) -> None:
    now = gateway(tmp_path, MOVING, 0.0, 10)
    assert [f.price for f in now.place(request("m", Side.BUY, "0.1"), now=T0 + 10).fills] == [D("65000.1")]

    late = gateway(tmp_path, MOVING, 0.05, 10)
    sent = late.place(request("m", Side.BUY, "0.1"), now=T0 + 10)
    assert (sent.status, sent.fills, sent.venue_order_id) == (ChildStatus.NEW, (), "")
    assert late.place(request("m", Side.BUY, "0.1"), now=T0 + 10).status is ChildStatus.NEW  # sent once
    assert late.pending_until() == pytest.approx(T0 + 10.05)

    arrived = late.advance(T0 + 11)
    assert len(arrived.trades) == 2
    (report,) = arrived.reports
    assert report.status is ChildStatus.FILLED
    assert [(f.price, f.ts) for f in report.fills] == [(D("65000.2"), pytest.approx(T0 + 10.05))]
    assert late.pending_until() is None


def test_a_resting_order_fills_while_its_cancel_travels(tmp_path: Path) -> None:
    now = gateway(tmp_path, HIT, 0.0, 5)
    now.place(request("r", Side.BUY, "0.1", "65000.0"), now=T0 + 5)
    now.advance(T0 + 10)
    assert now.cancel("r").status is ChildStatus.CANCELLED  # type: ignore[union-attr]
    assert now.advance(T0 + 11).reports == ()

    late = gateway(tmp_path, HIT, 0.05, 5)
    late.place(request("r", Side.BUY, "0.1", "65000.0"), now=T0 + 5)
    assert late.advance(T0 + 10).reports[0].status is ChildStatus.SUBMITTED  # arrived at +5.05, 0.2 ahead
    assert late.cancel("r").status is ChildStatus.SUBMITTED  # type: ignore[union-attr]  # sent, not landed
    fill, cancelled = late.advance(T0 + 11).reports
    assert [(f.qty, f.ts) for f in fill.fills] == [(D("0.100"), T0 + 10.02)]  # 0.5 sold: 0.2 ahead, 0.1 ours
    assert cancelled.status is ChildStatus.FILLED  # the cancel landed on a filled order


def test_a_cancel_of_an_order_still_travelling_lands_after_it(tmp_path: Path) -> None:
    late = gateway(tmp_path, HIT, 0.05, 10)
    late.place(request("r", Side.BUY, "0.1", "65000.0"), now=T0 + 10)
    assert late.cancel("r").status is ChildStatus.NEW  # type: ignore[union-attr]
    assert late.cancel("unknown") is None
    reports = late.advance(T0 + 11).reports
    # placed at +10.05, after the +10.02 print: nothing fills, and the cancel closes it
    assert [r.status for r in reports] == [ChildStatus.SUBMITTED, ChildStatus.CANCELLED]


def test_a_negative_latency_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="latency_s must be"):
        gateway(tmp_path, HIT, -0.01, 5)
