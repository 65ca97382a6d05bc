"""POV's participation bounds in the backtest: through the order spec to the strategy and the rows; a rate set
to finish at the horizon is brought within them; bad bounds are refused with a clear message."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from execdesk.backtest.markets import build_market, expected_volume, pov_plan, strategy_for
from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.domain.strategies.pov import POVTerms, pov_expected_completion_s, pov_rate_to_finish

ORDER = {"quantity": 1.0, "horizon_s": 300.0, "interval_s": 10.0}


def _run(*args):
    call_command("backtest", *args, "--horizon", "300", "--interval", "10", "--qty", "1", "--workers", "1",
                 "--strategies", "pov", "--scenarios", "calm", "--seeds", "1", "--side", "buy")


def _spec(**order) -> RunSpec:
    return RunSpec(strategy="pov", scenario="calm", seed=1, order=OrderSpec(**{**ORDER, **order}))


def test_the_rate_to_finish_is_brought_up_to_the_min():
    spec = _spec()
    market, instrument = build_market(spec)
    finish = pov_rate_to_finish(1.0, expected_volume(market, 300.0))
    assert finish < 0.05  # the standard market prints far more than 1 BTC needs in 300 s
    bounded = _spec(min_participation=0.05, max_participation=0.08)
    market, instrument = build_market(bounded)
    plan = pov_plan(bounded, market)
    assert (plan["pov_rate"], plan["expected_rate"]) == (0.05, 0.05)
    volume = expected_volume(market, 300.0)
    assert plan["expected_completion_s"] == pytest.approx(pov_expected_completion_s(1.0, 0.05, volume / 300.0))
    assert strategy_for(bounded, market, instrument).terms == POVTerms(0.05, 0.05, 0.08)


def test_a_fixed_rate_keeps_its_bounds_and_is_expected_at_the_rate_that_finishes_within_them():
    spec = _spec(pov_rate=0.02, min_participation=0.001, max_participation=0.05)
    market, instrument = build_market(spec)
    plan = pov_plan(spec, market)
    finish = pov_rate_to_finish(1.0, expected_volume(market, 300.0))
    assert plan["pov_rate"] == 0.02 and plan["expected_rate"] == pytest.approx(max(finish, 0.001))
    assert strategy_for(spec, market, instrument).terms == POVTerms(0.02, 0.001, 0.05)


def test_the_bounds_reach_the_suite_and_the_rows(tmp_path):
    out = tmp_path / "pov.json"
    _run("--pov-rate", "0.02", "--min-participation", "0.01", "--max-participation", "0.05", "--json", str(out))
    data = json.loads(out.read_text())
    order = data["suite"]["order"]
    assert (order["pov_rate"], order["min_participation"], order["max_participation"]) == (0.02, 0.01, 0.05)
    (row,) = data["rows"]
    assert (row["pov_rate"], row["min_participation"], row["max_participation"]) == (0.02, 0.01, 0.05)
    assert row["fills"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--min-participation", "0.05", "--max-participation", "0.01"],
     r"min_participation \(0.05\) must not exceed max_participation \(0.01\)"),
    (["--pov-rate", "0.01", "--min-participation", "0.02"],
     r"pov_rate \(0.01\) must be within \[min_participation 0.02, max_participation 0.01\]"),
    (["--min-participation", "0"], r"min_participation must be within \(0, 1\], got 0.0"),
    (["--max-participation", "1.5"], r"max_participation must be within \(0, 1\], got 1.5"),
    (["--max-participation", "0.5"], r"--max-participation 0.5 is above the risk gate's participation cap \(0.1\)"),
])
def test_bad_bounds_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
