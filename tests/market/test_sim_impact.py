"""Our own trades move the simulated market: permanent impact, a transient displacement, depletion."""

from __future__ import annotations

import pytest

from execdesk.domain.market import Trade
from execdesk.domain.orders import Side
from execdesk.market.sim import SIM_PRESETS, SimMarket

START = 1_767_225_600.0
BTC = SIM_PRESETS["BTCUSDT"][1]


def twins(seed: int = 5, scenario: str = "calm") -> tuple[SimMarket, SimMarket]:
    return tuple(  # type: ignore[return-value]
        SimMarket.create("BTCUSDT", seed=seed, start_ts=START, scenario=scenario) for _ in range(2)
    )


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_take_moves_the_mid_permanently_and_its_transient_part_decays(side: Side) -> None:
    traded, untouched = twins()
    displacement = traded.fair * BTC.temporary_impact_per_unit * 10.0

    traded.take(side, 10.0)
    moves, permanent = {}, {}
    for second in (1, 60, 90, 300):
        traded.advance_to(START + second)
        untouched.advance_to(START + second)
        moves[second] = (traded.mid - untouched.mid) * side.sign
        permanent[second] = (traded.fair - untouched.fair) * side.sign

    # right after, the emptied levels add to the move; then the displacement halves every 30 s while
    # the permanent part stays (mids sit on a 0.05 grid: a tick's worth of rounding either side)
    assert permanent[300] == pytest.approx(untouched.fair * BTC.permanent_impact_per_unit * 10.0, rel=0.01)
    assert moves[1] > permanent[1] + 0.95 * displacement
    assert moves[60] == pytest.approx(permanent[60] + displacement / 4, abs=0.15)
    assert moves[90] == pytest.approx(permanent[90] + displacement / 8, abs=0.15)
    assert moves[300] == pytest.approx(permanent[300], abs=0.15)


def test_a_take_without_impact_depletes_the_book_but_leaves_the_price_path() -> None:
    traded, untouched = twins()

    fills = traded.take(Side.SELL, 2.0, impact=False)

    assert sum(q for _, q in fills) == pytest.approx(2.0)
    assert sum(traded.depletion(Side.BUY)) == pytest.approx(2.0)
    assert traded.fair == untouched.fair
    traded.advance_to(START + 120)
    untouched.advance_to(START + 120)
    assert traded.mid == untouched.mid


def test_depleted_levels_refill_with_the_resilience_half_life() -> None:
    market = twins()[0]

    market.take(Side.BUY, 4.0)
    now = sum(market.depletion(Side.SELL))
    market.advance_to(START + BTC.resilience_half_life_s)
    later = sum(market.depletion(Side.SELL))

    assert now == pytest.approx(4.0)
    assert later == pytest.approx(2.0, rel=1e-9)


def test_a_second_take_walks_past_the_levels_the_first_one_emptied() -> None:
    market = twins()[0]
    first = market.take(Side.BUY, 3.0, impact=False)
    second = market.take(Side.BUY, 3.0, impact=False)

    assert second[0][0] >= first[-1][0]
    assert sum(q for _, q in second) == pytest.approx(3.0)


def test_public_prints_meet_our_depletion_and_pay_more_for_it() -> None:
    paid = {"depleted": 0.0, "twin": 0.0}
    pieces = {"depleted": 0, "twin": 0}
    for seed in range(12):
        traded, untouched = twins(seed=seed)
        traded.take(Side.BUY, 15.0, impact=False)  # eats the asks; the price path is unchanged
        mine = buys_by_print(traded.advance_to(START + 10))
        twin = buys_by_print(untouched.advance_to(START + 10))

        assert mine.keys() == twin.keys()
        for ts, (qty, notional, count) in mine.items():
            assert qty == pytest.approx(twin[ts][0])  # the same orders arrive ...
            assert notional >= twin[ts][1] - 1e-6  # ... and never pay less in the depleted book
            paid["depleted"] += notional
            paid["twin"] += twin[ts][1]
            pieces["depleted"] += count
            pieces["twin"] += twin[ts][2]

    assert paid["depleted"] > paid["twin"]
    assert pieces["depleted"] > pieces["twin"]  # some had to walk past the emptied touch


def buys_by_print(trades: list[Trade]) -> dict[float, tuple[float, float, int]]:
    """Quantity, notional and number of pieces of each public buy (a print's pieces share its time)."""
    out: dict[float, tuple[float, float, int]] = {}
    for t in trades:
        if t.side == "buy":
            qty, notional, count = out.get(t.ts, (0.0, 0.0, 0))
            out[t.ts] = (qty + t.qty, notional + t.qty * t.price, count + 1)
    return out
