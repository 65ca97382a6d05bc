"""The simulated market is a pure function of (seed, symbol, scenario, start) and of our own trades."""

from __future__ import annotations

import json

import pytest

from execdesk.domain.orders import Side
from execdesk.market import sim
from execdesk.market.sim import STATE_VERSION, SimMarket

START = 1_767_225_600.0


def make(seed: int = 7, scenario: str = "calm", **kwargs: object) -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=seed, start_ts=START, scenario=scenario,
                            **kwargs)  # type: ignore[arg-type]


def forget_generated_chunks() -> None:
    """As in a fresh process: nothing generated before can be reused."""
    for cached in (sim._chunk, sim._volume, sim._modulation, sim._jump_return):
        cached.cache_clear()


def run(market: SimMarket, seconds: range) -> list[object]:
    seen: list[object] = []
    for second in seconds:
        seen.append(market.advance_to(START + second))
        seen.append(market.snapshot())
    return seen


@pytest.mark.parametrize("scenario", ["calm", "news_jump", "seasonality"])
def test_same_seed_gives_the_same_path_and_prints_and_other_seeds_differ(scenario: str) -> None:
    a, b = make(3, scenario), make(3, scenario)
    forget_generated_chunks()
    c = make(3, scenario)

    path = run(a, range(300, 5000, 300))

    assert path == run(b, range(300, 5000, 300)) == run(c, range(300, 5000, 300))
    assert run(make(4, scenario), range(300, 5000, 300)) != path


def test_the_scenario_name_keys_the_randomness() -> None:
    calm, seasonal = make(3, "calm"), make(3, "seasonality")

    assert calm.advance_to(START + 60) != seasonal.advance_to(START + 60)


def test_the_path_after_the_start_does_not_depend_on_the_warm_up() -> None:
    long, short = make(warmup_seconds=3600), make(warmup_seconds=600)

    for second in range(10, 7300, 10):
        assert long.advance_to(START + second) == short.advance_to(START + second)
    assert long.mid == short.mid


def test_restored_market_continues_identically_across_hours_with_our_footprint_outstanding() -> None:
    original = make(seed=12, scenario="news_jump")
    original.advance_to(START + 3590)
    original.take(Side.BUY, 6.0)
    original.advance_to(START + 3605)  # into the second hour, our depletion and displacement still there
    original.take(Side.SELL, 2.0)
    state = json.loads(json.dumps(original.to_state()))
    forget_generated_chunks()
    restored = SimMarket.from_state(state)

    assert restored.snapshot() == original.snapshot()
    assert restored.depletion(Side.SELL) == original.depletion(Side.SELL)
    for market in (original, restored):
        market.take(Side.BUY, 1.5)
    assert run(restored, range(3610, 11_000, 7)) == run(original, range(3610, 11_000, 7))
    assert restored.to_state() == original.to_state()


def test_a_state_of_another_version_is_refused_naming_the_version() -> None:
    state = make().to_state()
    state["v"] = 1

    with pytest.raises(ValueError, match=f"unsupported SimMarket state version 1: this build reads version "
                                         f"{STATE_VERSION}"):
        SimMarket.from_state(state)


def test_stepping_every_ten_seconds_matches_one_call_with_our_trades_in_between() -> None:
    a, b = make(), make()
    for market in (a, b):
        market.advance_to(START + 100)
        market.take(Side.BUY, 3.0)

    trades_a = a.advance_to(START + 700)
    trades_b = [t for s in range(110, 701, 10) for t in b.advance_to(START + s)]

    assert trades_a == trades_b
    assert a.to_state() == b.to_state()
