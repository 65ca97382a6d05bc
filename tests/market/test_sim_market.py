from __future__ import annotations

import json

import pytest

from execdesk.domain.orders import Side
from execdesk.market.sim import SimMarket, SimParams

START = 1_767_225_600.0


def make(seed: int = 7, **kwargs: object) -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=seed, start_ts=START, **kwargs)  # type: ignore[arg-type]


def on_grid(price: float, tick: float = 0.1) -> bool:
    return abs(price / tick - round(price / tick)) < 1e-6


def test_create_starts_at_the_requested_price_with_an_hour_of_history() -> None:
    snap = make(start_price=64000.0).snapshot()

    assert snap.ts == START
    assert snap.mid == pytest.approx(64000.0, abs=1.0)
    assert snap.volume_1h > snap.volume_1m > 0
    assert snap.volatility_1h > 0
    assert snap.funding_rate != 0
    assert snap.source == "sim"


def test_same_seed_and_calls_give_identical_markets() -> None:
    a, b = make(seed=3), make(seed=3)

    trades_a = a.advance_to(START + 120)
    trades_b = b.advance_to(START + 120)

    assert trades_a and trades_a == trades_b
    assert a.snapshot() == b.snapshot()
    assert a.to_state() == b.to_state()
    assert make(seed=4).to_state() != a.to_state()


def test_stepping_in_small_calls_matches_one_large_call() -> None:
    a, b = make(), make()

    trades_a = a.advance_to(START + 300)
    trades_b = [t for s in range(1, 301) for t in b.advance_to(START + s)]

    assert trades_a == trades_b
    assert a.to_state() == b.to_state()


def test_restored_market_continues_identically() -> None:
    original = make()
    original.advance_to(START + 90)
    original.take(Side.BUY, 4.0)
    restored = SimMarket.from_state(json.loads(json.dumps(original.to_state())))

    for market in (original, restored):
        market.advance_to(START + 200)
        market.take(Side.SELL, 2.5)
    trades_original = original.advance_to(START + 500)
    trades_restored = restored.advance_to(START + 500)

    assert trades_original == trades_restored
    assert original.book() == restored.book()
    assert original.snapshot() == restored.snapshot()
    assert original.to_state() == restored.to_state()


def test_book_has_fifty_levels_each_side_on_the_tick_grid() -> None:
    market = make()
    for second in (0, 37, 600):
        market.advance_to(START + second)
        bids, asks = market.book()

        assert len(bids) == len(asks) == 50
        assert all(on_grid(level.price) and level.qty > 0 for level in bids + asks)
        assert [lv.price for lv in bids] == sorted((lv.price for lv in bids), reverse=True)
        assert [lv.price for lv in asks] == sorted(lv.price for lv in asks)
        assert len({lv.price for lv in bids}) == 50
        assert bids[0].price < asks[0].price


def test_level_sizes_grow_away_from_the_touch() -> None:
    bids, asks = make().book()

    near = sum(lv.qty for lv in asks[:10]) + sum(lv.qty for lv in bids[:10])
    far = sum(lv.qty for lv in asks[-10:]) + sum(lv.qty for lv in bids[-10:])

    assert far > 1.5 * near


def test_snapshot_shows_five_levels_and_recent_trades() -> None:
    market = make()
    market.advance_to(START + 30)
    snap = market.snapshot()

    assert len(snap.bids) == len(snap.asks) == 5
    assert (snap.best_bid, snap.best_ask) == (snap.bids[0].price, snap.asks[0].price)
    assert snap.mid == pytest.approx((snap.best_bid + snap.best_ask) / 2)
    assert 0 < len(snap.last_trades) <= 10
    assert [t.ts for t in snap.last_trades] == sorted(t.ts for t in snap.last_trades)


def test_market_moves_on_its_own_with_realistic_volatility() -> None:
    market = make(seed=21)
    start_mid = market.mid

    market.advance_to(START + 600)
    snap = market.snapshot()

    assert snap.mid != start_mid
    assert 0.002 < snap.volatility_1h < 0.05


def test_volume_accrues_from_the_prints() -> None:
    market = make()

    trades = market.advance_to(START + 60)
    snap = market.snapshot()

    assert snap.volume_1m == pytest.approx(sum(t.qty for t in trades), abs=1e-6)
    assert all(t.side in ("buy", "sell") and START < t.ts <= START + 60 for t in trades)
    assert snap.volume_1h > snap.volume_1m


def test_prints_happen_at_the_touch() -> None:
    market = make()
    prints = 0
    for second in range(1, 61):
        trades = market.advance_to(START + second)
        # a print consumes from the touch outwards, so it never lies beyond the touch left behind
        for trade in trades:
            assert on_grid(trade.price)
            if trade.side == "buy":
                assert market.best_bid < trade.price <= market.best_ask
            else:
                assert market.best_bid <= trade.price < market.best_ask
        prints += len(trades)

    assert prints > 60


def test_far_behind_clock_returns_only_the_last_steps_of_prints_but_the_same_market() -> None:
    far, stepped = make(), make()

    trades = far.advance_to(START + 10_000)
    for second in range(10, 10_001, 10):
        stepped.advance_to(START + second)

    assert far.ts == START + 10_000
    assert trades and min(t.ts for t in trades) > START + 10_000 - 900
    assert far.snapshot() == stepped.snapshot()
    assert far.to_state() == stepped.to_state()


def test_large_take_walks_several_levels_without_overfilling() -> None:
    market = make()
    asks = market.book()[1]

    fills = market.take(Side.BUY, 10.0)

    assert sum(q for _, q in fills) == pytest.approx(10.0, abs=1e-9)
    assert len(fills) >= 3
    assert [p for p, _ in fills] == [lv.price for lv in asks[: len(fills)]]
    assert all(q <= lv.qty + 1e-9 for (_, q), lv in zip(fills, asks, strict=False))


def test_take_larger_than_the_book_returns_what_filled() -> None:
    market = make()
    depth = sum(lv.qty for lv in market.book()[0])

    fills = market.take(Side.SELL, 100_000.0)

    assert len(fills) <= 50
    assert sum(q for _, q in fills) == pytest.approx(depth, rel=1e-6)


def test_take_stops_at_the_limit_price() -> None:
    market = make()
    asks = market.book()[1]

    fills = market.take(Side.BUY, 50.0, limit_price=asks[2].price)

    assert [p for p, _ in fills] == [lv.price for lv in asks[:3]]


def test_take_moves_the_mid_permanently_and_transiently() -> None:
    traded, untouched = make(), make()
    fair = traded.fair

    traded.take(Side.BUY, 5.0)
    traded.advance_to(START + 900)
    untouched.advance_to(START + 900)

    # the permanent move plus the latent book's displacement, its impact volume 15 min into its 10-min half-life
    p = SimParams()
    kappa = p.impact_y * p.vol_per_hour * 24**0.5 / (p.trade_rate_per_s * p.trade_size_mean * 86_400) ** 0.5
    expected = fair * (p.permanent_impact_per_unit * 5.0 + kappa * (5.0 * 0.5 ** (900 / 600)) ** 0.5)
    assert traded.mid - untouched.mid == pytest.approx(expected, rel=0.05, abs=0.3)
    assert traded.mid - untouched.mid > 50 * 0.1


def test_temporary_impact_decays_as_the_book_refills() -> None:
    traded, untouched = make(), make()

    traded.take(Side.BUY, 10.0)
    excess_now = sum(traded.depletion(Side.SELL)) - sum(untouched.depletion(Side.SELL))
    spread_now = traded.best_ask - traded.best_bid
    traded.advance_to(START + 60)
    untouched.advance_to(START + 60)
    excess_later = sum(traded.depletion(Side.SELL)) - sum(untouched.depletion(Side.SELL))

    assert excess_now == pytest.approx(10.0, abs=1e-6)
    # the touch levels we ate are gone for now
    assert spread_now > (untouched.best_ask - untouched.best_bid) + 4 * 0.1
    assert abs(excess_later) < 0.01
    assert traded.best_ask - traded.best_bid == pytest.approx(untouched.best_ask - untouched.best_bid)


def test_state_is_compact_json_of_finite_numbers() -> None:
    market = make()
    market.advance_to(START + 4000)  # past the first hour: the state carries chunk anchors
    market.take(Side.BUY, 3.0)
    text = json.dumps(market.to_state(), allow_nan=False)

    assert len(text) < 20_000
    assert json.loads(text)["v"] == 3
