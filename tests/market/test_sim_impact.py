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


def kappa() -> float:
    """Y sigma_daily / sqrt(ADV) of the BTC preset, by hand: 1.0 x 1 % x sqrt(24) / sqrt(1.5 x 0.1 x 86,400)."""
    return 1.0 * 0.01 * 24**0.5 / (1.5 * 0.1 * 86_400) ** 0.5


def test_the_preset_kappa_is_the_square_root_law_of_its_own_volatility_and_volume() -> None:
    assert kappa() == pytest.approx(4.3033e-4, rel=1e-4)  # 4.30 bps per sqrt(BTC)


def work(market: SimMarket, side: Side, qty: float, children: int) -> float:
    """Take ``qty`` in ``children`` equal market orders at the same second; the average price paid."""
    fills = [f for _ in range(children) for f in market.take(side, qty / children)]
    return sum(p * q for p, q in fills) / sum(q for _, q in fills)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_take_walks_the_visible_book_and_the_next_order_meets_its_latent_displacement(side: Side) -> None:
    traded, untouched = twins()
    fair = traded.fair

    first = work(traded, side, 4.0, 1)
    after = work(traded, side, 0.01, 1)

    # the visible book alone: a few ticks (0.1 = 0.015 bps each) beyond the half spread
    assert 0 < side.sign * (first - untouched.mid) / fair < 0.3e-4
    assert traded.latent_impact() == pytest.approx(side.sign * 4.01)
    # the next order pays kappa sqrt(4) plus the permanent move (and the depleted touch's few ticks)
    lasting = BTC.permanent_impact_per_unit * 4.0
    assert side.sign * (after - untouched.mid) / fair == pytest.approx(kappa() * 2.0 + lasting, abs=0.3e-4)


def test_the_square_root_law_a_metaorder_four_times_larger_costs_twice_as_much() -> None:
    small, large, untouched = (SimMarket.create("BTCUSDT", seed=9, start_ts=START) for _ in range(3))
    mid = untouched.mid
    cost = {"small": (work(small, Side.BUY, 2.0, 200) - mid) / mid, "large": (work(large, Side.BUY, 8.0, 200) - mid) / mid}

    # 200 children at once: the left Riemann sum of kappa sqrt(E) over E = 0 ... Q, 2/3 kappa sqrt(Q) to 1 %
    riemann = sum((i / 200) ** 0.5 for i in range(200)) / 200
    assert riemann == pytest.approx(0.6641, abs=1e-4)
    assert cost["small"] == pytest.approx(riemann * kappa() * 2.0**0.5, rel=0.05)
    assert cost["large"] == pytest.approx(riemann * kappa() * 8.0**0.5, rel=0.05)
    assert cost["large"] / cost["small"] == pytest.approx(2.0, rel=0.03)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_the_displacement_decays_with_the_impact_volume_and_the_permanent_part_stays(side: Side) -> None:
    traded, untouched = twins()
    traded.take(side, 10.0)
    moves, permanent = {}, {}
    for second in (600, 1200, 4 * 3600):
        traded.advance_to(START + second)
        untouched.advance_to(START + second)
        moves[second] = side.sign * (traded.mid - untouched.mid) / untouched.fair
        permanent[second] = side.sign * (traded.fair - untouched.fair) / untouched.fair

    lasting = BTC.permanent_impact_per_unit * 10.0  # 0.5 bps
    assert permanent[600] == pytest.approx(lasting, rel=0.01)
    # E halves every 10 minutes, so the displacement kappa sqrt(E) falls by sqrt(2) (ticks: 0.15 bps either way)
    assert traded.latent_impact() == pytest.approx(side.sign * 10.0 / 2**24)
    assert moves[600] == pytest.approx(lasting + kappa() * (10.0 / 2) ** 0.5, abs=0.15e-4)
    assert moves[1200] == pytest.approx(lasting + kappa() * (10.0 / 4) ** 0.5, abs=0.15e-4)
    assert moves[4 * 3600] == pytest.approx(lasting, abs=0.15e-4)


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


def test_a_volatile_session_displaces_more_for_the_same_volume() -> None:
    # high_vol: 3.5x volatility and 1.6x the prints, so kappa x 3.5 / sqrt(1.6) = 2.77x (the square-root law)
    traded, untouched = twins(scenario="high_vol")
    traded.take(Side.BUY, 4.0)
    traded.advance_to(START + 60)
    untouched.advance_to(START + 60)

    move = (traded.mid - untouched.mid) / untouched.fair
    expected = kappa() * 3.5 / 1.6**0.5 * (4.0 * 0.5 ** (60 / 600)) ** 0.5 + BTC.permanent_impact_per_unit * 4.0
    assert move == pytest.approx(expected, abs=0.2e-4)
