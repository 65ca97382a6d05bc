"""The paper venue's queue model: prints at or through our price consume the queue ahead first, and the
visible size falling beyond the prints moves us up by a probability-weighted share of the cancellations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.orders import ChildStatus, Side
from execdesk.market.replay import ReplayMarket, ReplayParams, TradeTape
from execdesk.venues.paper import PaperVenue
from execdesk.venues.paper_queue import QueueModel
from tests.market.test_replay_paper_venue import PARAMS, T0, request, step, write_tape

D = Decimal


@pytest.mark.parametrize(
    ("ahead", "seen", "printed", "visible", "exponent", "expected"),
    [
        # 1 cancelled of a level of 5 (3 ahead, 2 behind): 3/5 of it was ahead
        ("3", "5", "0", "4", 1.0, D("3") - D("1") * D("0.6")),
        # the same with n = 2: 9/13 of it
        ("3", "5", "0", "4", 2.0, D("3") - D(repr(9 / 13))),
        # 2 printed (already off the 3 ahead), the level shows 2 of the 3 expected: 1 cancelled, 1/3 ahead
        ("1", "5", "2", "2", 1.0, D("1") - D(repr(1 / 3))),
        # the level grew: newcomers queue behind us
        ("3", "5", "0", "7", 1.0, D("3")),
        # the level emptied: nobody is left ahead
        ("3", "5", "0", "0", 1.0, D("0")),
        # we are at the front already: cancellations are all behind us
        ("0", "5", "0", "1", 1.0, D("0")),
    ],
)
def test_queue_after_cancellations_by_hand(
    ahead: str, seen: str, printed: str, visible: str, exponent: float, expected: Decimal
) -> None:
    got = QueueModel(exponent).after_cancels(D(ahead), D(seen), D(printed), D(visible))
    assert got == pytest.approx(expected, abs=D("1e-12"))


def test_a_bad_exponent_is_refused() -> None:
    with pytest.raises(ValueError, match="QueueModel.exponent must be"):
        QueueModel(0.0)


def test_a_print_through_our_price_fills_us_only_beyond_the_queue_ahead(tmp_path: Path) -> None:
    rows = [(1.0, "Sell", "0.200", "65000.00"), (2.0, "Buy", "0.200", "65000.10"),
            (20.0, "Sell", "0.250", "64999.90"), (20.0, "Buy", "0.010", "65000.20"),  # the ask stays above us
            (30.0, "Sell", "0.100", "64999.80")]
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)), params=PARAMS)
    market.advance_to(T0 + 10)
    venue = PaperVenue()
    venue.place(market, request("q-1", Side.BUY, "0.08", "65000.0"), BTCUSDT, market.ts)  # 0.2 ahead

    first = step(market, venue, 20)  # 0.25 through our price: 0.2 to the queue, 0.05 to us
    assert [(f.qty, f.price) for f in first[0].fills] == [(D("0.050"), D("65000.0"))]
    second = step(market, venue, 30)
    assert [(f.qty, f.price) for f in second[0].fills] == [(D("0.030"), D("65000.0"))]
    assert second[0].status is ChildStatus.FILLED


# touch = half the volume of a minute (over the last 300 s), never below the median print (0.01)
QUEUE_PARAMS = ReplayParams(touch_share=0.5, level_share=1e-6, permanent_impact_per_unit=0.0,
                            transient_impact_per_unit=0.0)
QUEUE_ROWS = [
    (1.0, "Sell", "0.600", "65000.00"),
    (2.0, "Buy", "0.600", "65000.10"),
    *[(3.0 + i, "Buy", "0.010", "65000.10") for i in range(5)],
    (100.0, "Buy", "1.800", "65000.10"),  # busier: the touch grows, newcomers queue behind us
    (130.0, "Buy", "0.010", "65000.10"),
    (400.0, "Buy", "0.010", "65000.10"),  # the busy minute has left the window: the touch shrinks
    (430.0, "Sell", "0.020", "65000.00"),
]


def test_cancellations_ahead_move_a_resting_order_up_the_queue(tmp_path: Path) -> None:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "q.csv", QUEUE_ROWS)), params=QUEUE_PARAMS)
    market.advance_to(T0 + 60)
    venue = PaperVenue()
    venue.place(market, request("q", Side.BUY, "0.5", "65000.0"), BTCUSDT, market.ts)
    order = venue._orders["q"]
    assert (order.queue_ahead, market.book()[0][0].qty) == (D("0.625"), 0.625)  # 1.25 a minute / 2

    assert step(market, venue, 120) == []
    assert (market.book()[0][0].qty, order.queue_ahead) == (0.768, D("0.625"))  # grew: 0.143 behind us

    assert step(market, venue, 200) == []
    # 0.768 → 0.461 with no print: 0.307 cancelled, 0.625/0.768 of it ahead: 0.625 - 0.24984 = 0.37516,
    # rounded up to the step
    assert (market.book()[0][0].qty, order.queue_ahead) == (0.461, D("0.376"))

    assert step(market, venue, 420) == []
    # 0.461 → 0.010: 0.451 cancelled, 0.376/0.461 ahead: 0.376 - 0.36784 = 0.00816 → 0.009
    assert order.queue_ahead == D("0.009")

    filled = step(market, venue, 430)  # a sell of 0.02 at our price: 0.009 to the queue, 0.011 to us
    assert [f.qty for f in filled[0].fills] == [D("0.011")]


def test_without_cancellation_the_same_order_waits_behind_the_whole_queue(tmp_path: Path) -> None:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "q.csv", QUEUE_ROWS)), params=QUEUE_PARAMS)
    market.advance_to(T0 + 425)  # rest late, behind the small queue the quiet window shows
    venue = PaperVenue()
    venue.place(market, request("q", Side.BUY, "0.5", "65000.0"), BTCUSDT, market.ts)
    assert venue._orders["q"].queue_ahead == D("0.010")
    filled = step(market, venue, 430)
    assert [f.qty for f in filled[0].fills] == [D("0.010")]


def test_the_queue_state_round_trips_and_an_old_state_still_reads(tmp_path: Path) -> None:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "q.csv", QUEUE_ROWS)), params=QUEUE_PARAMS)
    market.advance_to(T0 + 60)
    venue = PaperVenue(queue=QueueModel(2.0))
    venue.place(market, request("q", Side.BUY, "0.5", "65000.0"), BTCUSDT, market.ts)
    state = venue.to_state()
    assert PaperVenue.from_state(state).to_state() == state

    old = {k: v for k, v in state.items() if k != "queue"}  # written before the queue model
    old["orders"] = [{k: v for k, v in o.items() if k != "level_seen"} for o in state["orders"]]
    restored = PaperVenue.from_state(old)
    assert restored.queue == QueueModel()
    assert restored._orders["q"].level_seen is None and restored._orders["q"].queue_ahead == D("0.625")
