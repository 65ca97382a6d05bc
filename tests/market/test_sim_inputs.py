"""Creating a simulated market: presets, scenarios by name or object, and clear errors for bad inputs."""

from __future__ import annotations

import pytest

from execdesk.domain.orders import Side
from execdesk.market.regimes import SCENARIOS, Episode, Scenario
from execdesk.market.sim import SIM_PRESETS, SimMarket, SimParams

START = 1_767_225_600.0


def on_grid(value: float, increment: float) -> bool:
    return abs(value / increment - round(value / increment)) < 1e-6


def test_the_ethusdt_preset_gives_an_eth_market() -> None:
    market = SimMarket.create("ETHUSDT", seed=2, start_ts=START)
    trades = market.advance_to(START + 120)
    fills = market.take(Side.BUY, 40.0)

    assert (market.tick, market.qty_step) == (0.01, 0.01)
    assert market.snapshot().mid == pytest.approx(SIM_PRESETS["ETHUSDT"][0], rel=0.02)
    assert trades and all(on_grid(t.price, 0.01) and on_grid(t.qty, 0.01) for t in trades)
    assert sum(q for _, q in fills) == pytest.approx(40.0)
    assert market.snapshot().bid_depth > 50  # ETH's book is sized in tens of units


def test_a_scenario_can_be_given_by_name_or_as_an_object() -> None:
    custom = Scenario("squeeze", "A custom regime for a test.",
                      episodes=(Episode(0.0, 600.0, spread_bps=20.0),))
    by_name = SimMarket.create("BTCUSDT", seed=1, start_ts=START, scenario="drought")
    by_object = SimMarket.create("BTCUSDT", seed=1, start_ts=START, scenario=SCENARIOS["drought"])
    squeezed = SimMarket.create("BTCUSDT", seed=1, start_ts=START, scenario=custom)
    squeezed.advance_to(START + 60)

    assert by_name.to_state() == by_object.to_state()
    assert squeezed.snapshot().spread_bps > 15
    assert squeezed.snapshot().extra["scenario"] == "squeeze"
    assert SimMarket.from_state(squeezed.to_state()).scenario == custom


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": "crash"}, "unknown scenario 'crash'; valid: calm, trend_up"),
        ({"warmup_seconds": -1}, "warmup_seconds must be a non-negative whole number, got -1"),
        ({"warmup_seconds": 60.5}, "warmup_seconds must be a non-negative whole number"),
        ({"start_price": float("nan")}, "start_price must be a finite number, got nan"),
        ({"start_price": float("inf")}, "start_price must be a finite number, got inf"),
        ({"start_price": -5.0}, "start_price must be positive"),
        ({"start_ts": float("nan")}, "start_ts must be a finite number"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"params": {"levels": 5}}, "params must be SimParams"),
    ],
)
def test_invalid_inputs_are_refused_with_a_clear_message(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"seed": 1, "start_ts": START} | kwargs

    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SimMarket.create("BTCUSDT", **arguments)  # type: ignore[arg-type]


def test_a_symbol_without_a_preset_needs_its_grid_and_price() -> None:
    with pytest.raises(ValueError, match="unknown simulated symbol 'SOLUSDT'"):
        SimMarket.create("SOLUSDT", seed=1, start_ts=START)
    grid = SimParams(tick_size=0.01, qty_step=0.1, touch_qty=50.0, trade_size_mean=2.0)
    with pytest.raises(ValueError, match="start_price is required for 'SOLUSDT'"):
        SimMarket.create("SOLUSDT", seed=1, start_ts=START, params=grid)

    market = SimMarket.create("SOLUSDT", seed=1, start_ts=START, params=grid, start_price=150.0)
    assert market.snapshot().mid == pytest.approx(150.0, abs=0.02)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vol_per_hour", -0.01, "SimParams.vol_per_hour must be positive"),
        ("trade_rate_per_s", float("nan"), "SimParams.trade_rate_per_s must be a finite number"),
        ("depth_noise_period_s", 7, "depth_noise_period_s must divide 3600"),
        ("flow_momentum", 0.7, r"flow_momentum must be within \[0, 0.5\]"),
        ("funding_mean", 0.01, "funding_mean"),
        ("max_steps_per_call", 0, "max_steps_per_call must be a positive whole number"),
    ],
)
def test_invalid_params_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimParams(**{field: value})  # type: ignore[arg-type]


def test_advancing_to_a_non_finite_time_or_asking_for_no_hours_is_refused() -> None:
    market = SimMarket.create("BTCUSDT", seed=1, start_ts=START)

    with pytest.raises(ValueError, match="ts must be a finite number"):
        market.advance_to(float("nan"))
    with pytest.raises(ValueError, match="hours must be a positive whole number, got 0"):
        market.hourly_volumes(0)
    assert market.advance_to(START - 10) == []  # the past is already there
