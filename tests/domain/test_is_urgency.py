"""IS urgency: low / medium / high set the Almgren–Chriss risk aversion, and the schedule is the closed form's.

The market is chosen so that the closed form has exact fractions: X = 1 at S0 = 20,000 (notional 20,000),
sigma = 1 per sqrt(s), eta = 7.2, gamma = 0, three slices of tau = 60 s. lambda = lambda_bps 1e4 / 20,000, so
kappa_tilde^2 tau^2 = lambda sigma^2 tau^2 / eta = lambda_bps 1e4 / 2e4 * 3600 / 7.2 = 250 lambda_bps, and
cosh(kappa tau) = 1 + 125 lambda_bps. With c = cosh(kappa tau), x_1 = sinh(2 a) / sinh(3 a) = 2c / (4c^2 - 1)
and x_2 = sinh(a) / sinh(3 a) = 1 / (4c^2 - 1):

* medium (2e-3 / bps): c = 1.25, x_1 = 2.5 / 5.25 = 10/21, x_2 = 4/21: trades 11/21, 6/21, 4/21;
* high (2e-2 / bps):   c = 3.5,  x_1 = 7 / 48, x_2 = 1/48: trades 41/48, 6/48, 1/48;
* low (1e-4 / bps):    c = 1.0125, 4c^2 - 1 = 3.100625: x_1 = 2.025 / 3.100625, x_2 = 1 / 3.100625.
"""

import math

import pytest

from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.is_urgency import (
    ISInputs,
    frontier_point,
    is_pretrade,
    resolve_risk_aversion,
    urgency_risk_aversion,
)
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy

START = 1_767_225_600.0
INPUTS = ISInputs(quantity=1.0, mid=20_000.0, horizon_s=180.0, interval_s=60.0, sigma=1.0, eta=7.2, gamma=0.0)
EXPECTED_TRADES = {
    "medium": (11 / 21, 6 / 21, 4 / 21),
    "high": (41 / 48, 6 / 48, 1 / 48),
    "low": (1 - 2.025 / 3.100625, (2.025 - 1) / 3.100625, 1 / 3.100625),
}


def _strategy(urgency: str):
    lam = urgency_risk_aversion(urgency, INPUTS.notional)
    return build_strategy("is", StrategyInputs(horizon_s=180.0, interval_s=60.0, sigma=1.0, eta=7.2, gamma=0.0,
                                               risk_aversion=lam))


def test_each_urgency_maps_to_its_risk_aversion_per_bps_of_the_notional():
    assert urgency_risk_aversion("low", 20_000.0) == pytest.approx(1e-4 * 1e4 / 20_000)
    assert urgency_risk_aversion("medium", 20_000.0) == pytest.approx(1e-3)
    assert urgency_risk_aversion("HIGH", 20_000.0) == pytest.approx(1e-2)
    # the same urgency on twice the notional is half the lambda in 1/USDT: the same aversion in bps
    assert urgency_risk_aversion("medium", 40_000.0) == pytest.approx(5e-4)


@pytest.mark.parametrize("urgency", ["low", "medium", "high"])
def test_the_schedule_is_the_closed_form_for_each_urgency(urgency):
    slices = _strategy(urgency).schedule(1.0, START)
    assert [s.offset_seconds for s in slices] == pytest.approx([0.0, 60.0, 120.0])
    assert [s.quantity for s in slices] == pytest.approx(EXPECTED_TRADES[urgency], rel=1e-12)


def test_the_target_follows_the_holdings_of_the_closed_form():
    strategy = _strategy("high")
    progress = OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=1.0, executed=0.0, decision_price=20_000.0,
                             started_at=START, deadline=START + 180, now=START + 61)
    assert strategy.target(progress) == pytest.approx(1 - 1 / 48)  # two slices started: X - x_2


def test_high_urgency_front_loads_more_than_medium_and_medium_more_than_low():
    first = {u: _strategy(u).schedule(1.0, START)[0].quantity for u in ("low", "medium", "high")}
    assert first["low"] < first["medium"] < first["high"]
    last = {u: _strategy(u).schedule(1.0, START)[-1].quantity for u in ("low", "medium", "high")}
    assert last["low"] > last["medium"] > last["high"]


def test_as_risk_aversion_goes_to_zero_the_schedule_tends_to_twap_straight_line():
    for lam, tolerance in ((1e-6, 1e-3), (1e-9, 1e-6), (1e-12, 1e-9)):
        trades = INPUTS.plan(lam).trades
        assert max(abs(q - 1 / 3) for q in trades) < tolerance
    assert INPUTS.plan(0.0).trades == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-15)


def test_the_frontier_trades_cost_for_risk_and_holds_the_chosen_point():
    shown = is_pretrade(INPUTS, urgency="high")
    frontier = shown["frontier"]
    lams = [p["risk_aversion"] for p in frontier]
    assert lams == sorted(lams) and len(frontier) == 25 + 3
    costs = [p["expected_cost"] for p in frontier]
    sds = [p["sd"] for p in frontier]
    # more risk aversion: more expected impact, less timing risk
    assert all(b >= a for a, b in zip(costs, costs[1:], strict=False))
    assert all(b <= a for a, b in zip(sds, sds[1:], strict=False))
    chosen = shown["chosen"]
    assert shown["urgency"] == "high" and chosen["risk_aversion"] == pytest.approx(1e-2)
    assert chosen == shown["levels"]["high"]
    assert [s["qty"] for s in shown["schedule"]] == pytest.approx(EXPECTED_TRADES["high"])
    # E = (eta / tau) sum n_k^2 with gamma = epsilon = 0; V = sigma^2 tau (x_1^2 + x_2^2)
    n = EXPECTED_TRADES["high"]
    assert chosen["expected_cost"] == pytest.approx(7.2 / 60 * sum(q * q for q in n))
    assert chosen["sd"] == pytest.approx(math.sqrt(60 * ((7 / 48) ** 2 + (1 / 48) ** 2)))
    assert chosen["expected_cost_bps"] == pytest.approx(chosen["expected_cost"] / 20_000 * 1e4)
    assert shown["twap"]["expected_cost"] < chosen["expected_cost"] and shown["twap"]["sd"] > chosen["sd"]


def test_risk_aversion_given_directly_is_used_as_is_and_labelled_custom():
    shown = is_pretrade(INPUTS, risk_aversion=1e-3)
    assert shown["urgency"] == "custom"
    assert [s["qty"] for s in shown["schedule"]] == pytest.approx(EXPECTED_TRADES["medium"])
    assert shown["chosen"] == frontier_point(INPUTS, 1e-3, "custom")


def test_without_urgency_the_plan_is_medium():
    assert resolve_risk_aversion(INPUTS.notional, urgency=None, risk_aversion=None) == ("medium", pytest.approx(1e-3))


@pytest.mark.parametrize("kwargs, message", [
    ({"urgency": "urgent"}, "urgency must be one of low, medium, high, got 'urgent'"),
    ({"risk_aversion": -1.0}, "risk_aversion must be a finite number >= 0"),
    ({"risk_aversion": math.nan}, "risk_aversion must be a finite number >= 0"),
    ({"urgency": "low", "risk_aversion": 1e-3}, "give either urgency or risk_aversion, not both"),
])
def test_bad_urgency_or_risk_aversion_is_refused_with_its_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        is_pretrade(INPUTS, **kwargs)
