"""IS urgency in the backtest: `--urgency` and `--risk-aversion` reach the plan through the order spec, and the
documented kappa T of each level on the standard order is what the model gives."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from execdesk.backtest.markets import build_market, strategy_for
from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.domain.strategies.is_urgency import urgency_risk_aversion


def _run(*args):
    call_command("backtest", *args, "--horizon", "300", "--interval", "10", "--qty", "1", "--workers", "1",
                 "--strategies", "is", "--scenarios", "calm", "--seeds", "1", "--side", "buy")


@pytest.mark.parametrize(("urgency", "kappa_t"), [("low", 0.44), ("medium", 1.98), ("high", 6.26)])
def test_each_urgency_gives_its_documented_kappa_t_on_the_standard_order(urgency, kappa_t):
    spec = RunSpec(strategy="is", scenario="calm", seed=1, order=OrderSpec(urgency=urgency))
    market, instrument = build_market(spec)
    strategy = strategy_for(spec, market, instrument)
    assert strategy.config.lam == pytest.approx(urgency_risk_aversion(urgency, 10 * market.snapshot().mid))
    assert strategy.ac_plan(10.0).kappa * 3600 == pytest.approx(kappa_t, abs=0.01)


def test_urgency_reaches_the_rows_and_high_trades_faster_than_low(tmp_path):
    rows = {}
    for urgency in ("low", "high"):
        out = tmp_path / f"{urgency}.json"
        _run("--urgency", urgency, "--json", str(out))
        data = json.loads(out.read_text())
        assert data["suite"]["order"]["urgency"] == urgency
        (rows[urgency],) = data["rows"]
        assert rows[urgency]["urgency"] == urgency
    assert rows["high"]["kappa_t"] > rows["low"]["kappa_t"]


def test_a_risk_aversion_given_directly_is_the_plans(tmp_path):
    out = tmp_path / "lam.json"
    _run("--risk-aversion", "0.0002", "--json", str(out))
    (row,) = json.loads(out.read_text())["rows"]
    assert (row["urgency"], row["risk_aversion"]) == ("custom", pytest.approx(2e-4))


@pytest.mark.parametrize(("args", "message"), [
    (["--urgency", "asap"], "invalid choice: 'asap'"),
    (["--risk-aversion", "-1"], "risk_aversion must be a finite number >= 0"),
    (["--urgency", "low", "--risk-aversion", "0.001"], "give either urgency or risk_aversion, not both"),
])
def test_bad_urgency_is_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
