import math

import pytest

from execdesk.domain.almgren_chriss import plan
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.is_strategy import DEFAULT_KAPPA_T, ISConfig, ISStrategy
from execdesk.domain.strategies.twap import TWAPConfig, TWAPStrategy

START = 1_767_225_600.0
# BTC-like figures in seconds: 2 % daily volatility on 65,000, temporary impact 0.5 per (BTC / s)
SIGMA = 65_000 * 0.02 / math.sqrt(86_400)
ETA = 0.5
GAMMA = 1e-4
LAM = 4e-7  # kappa T about 2.3: clearly front-loaded, not dumped at the start


def _config(**kw) -> ISConfig:
    base = dict(horizon_seconds=600.0, interval_seconds=60.0, sigma=SIGMA, eta=ETA, gamma=GAMMA)
    base.update(kw)
    return ISConfig(**base)


def _progress(executed: float, now: float, qty: float = 1.0, side: Side = Side.SELL) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=side, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=START, deadline=START + 600, now=now)


def _step(progress: OrderProgress) -> StepInput:
    market = MarketSnapshot(symbol="BTCUSDT", ts=progress.now, mid=65000.05, best_bid=65000.0, best_ask=65000.1,
                            bids=(Level(65000.0, 1.0),), asks=(Level(65000.1, 1.0),), volume_1m=30.0)
    return StepInput(progress=progress, market=market, interval_s=60.0)


def test_target_on_the_grid_is_the_total_minus_the_almgren_chriss_holdings():
    strategy = ISStrategy(_config(risk_aversion=LAM))
    ac = plan(1.0, 600.0, 10, SIGMA, ETA, GAMMA, 0.0, LAM)
    for k in range(10):
        # the k-th trade is due at the start of its interval, as TWAP's slices are
        assert strategy.target(_progress(0.0, START + k * 60)) == pytest.approx(1.0 - ac.holdings[k + 1])
        assert strategy.target(_progress(0.0, START + k * 60 + 59.9)) == pytest.approx(1.0 - ac.holdings[k + 1])
    assert strategy.target(_progress(0.0, START - 1)) == 0.0
    assert strategy.target(_progress(0.0, START + 600)) == 1.0


def test_the_trajectory_is_front_loaded_and_its_schedule_sums_to_the_total():
    schedule = ISStrategy(_config(risk_aversion=LAM)).schedule(1.0, START)
    sizes = [s.quantity for s in schedule]
    assert [s.offset_seconds for s in schedule] == pytest.approx([k * 60 for k in range(10)])
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1.5 * sizes[-1]
    assert math.fsum(sizes) == pytest.approx(1.0, abs=1e-12)


def test_without_risk_aversion_the_trajectory_is_twap():
    strategy = ISStrategy(_config(risk_aversion=0.0))
    twap = TWAPStrategy(TWAPConfig(600, 60))
    for now in (START, START + 61, START + 330, START + 599):
        assert strategy.target(_progress(0.0, now)) == pytest.approx(twap.target(_progress(0.0, now)), abs=1e-15)


def test_the_default_risk_aversion_gives_kappa_t_of_one():
    strategy = ISStrategy(_config())
    assert strategy.ac_plan(1.0).kappa * 600 == pytest.approx(DEFAULT_KAPPA_T)
    assert strategy.config.lam > 0


def test_without_volatility_the_default_is_the_straight_line():
    strategy = ISStrategy(_config(sigma=0.0))
    assert strategy.config.lam == 0.0
    assert [s.quantity for s in strategy.schedule(1.0, START)] == pytest.approx([0.1] * 10)


def test_decide_sends_the_trade_due_and_catches_up_a_backlog():
    strategy = ISStrategy(_config(risk_aversion=LAM))
    ac = strategy.ac_plan(1.0)
    first = strategy.decide(_step(_progress(0.0, START)))
    assert first.action is Action.AGGRESSIVE and first.quantity == pytest.approx(ac.trades[0])
    assert "Almgren-Chriss" in first.reason and "kappa T" in first.reason
    late = strategy.decide(_step(_progress(0.0, START + 125)))  # three trades due, none done
    assert late.quantity == pytest.approx(sum(ac.trades[:3]))
    assert late.schedule_target == pytest.approx(1.0 - ac.holdings[3])


def test_decide_waits_when_ahead_and_finishes_everything_at_the_deadline():
    strategy = ISStrategy(_config(risk_aversion=LAM))
    ahead = strategy.decide(_step(_progress(0.5, START + 61)))
    assert (ahead.action, ahead.quantity) == (Action.WAIT, 0.0)
    overdue = strategy.decide(_step(_progress(0.3, START + 600)))
    assert (overdue.action, overdue.quantity) == (Action.AGGRESSIVE, pytest.approx(0.7))
    assert "deadline has passed" in overdue.reason


def test_a_buy_follows_the_same_schedule_as_a_sell():
    strategy = ISStrategy(_config(risk_aversion=LAM))
    for now in (START, START + 200, START + 480):
        buy = strategy.decide(_step(_progress(0.1, now, side=Side.BUY)))
        sell = strategy.decide(_step(_progress(0.1, now, side=Side.SELL)))
        assert (buy.action, buy.quantity, buy.schedule_target) == (sell.action, sell.quantity, sell.schedule_target)


def test_an_ill_posed_impact_model_is_refused_with_its_figures():
    with pytest.raises(ValueError, match=r"ill-posed impact model: eta - gamma \* tau / 2 = -"):
        _config(eta=0.01, gamma=1.0)


@pytest.mark.parametrize("field, value", [("sigma", -1.0), ("eta", 0.0), ("risk_aversion", math.inf)])
def test_bad_model_inputs_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"{field} must be"):
        _config(**{field: value})
