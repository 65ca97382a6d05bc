"""The rules advisor turns the adaptive strategy's decision into a proposal the desk can send."""

from dataclasses import replace
from decimal import Decimal

import pytest

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.rules import RulesAdvisor
from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.risk import RiskLimits, evaluate

START = 1_767_225_600.0
BID, ASK = 65_000.0, 65_003.0  # 0.46 bps


def _market(*, volume_1m: float = 60.0, vol: float = 0.01, funding: float = 0.0001, bid_qty: float = 2.0,
            ask_qty: float = 2.0, bid: float = BID, ask: float = ASK) -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=START, mid=(bid + ask) / 2, best_bid=bid, best_ask=ask,
                          bids=tuple(Level(bid - i * 0.1, bid_qty / 5) for i in range(5)),
                          asks=tuple(Level(ask + i * 0.1, ask_qty / 5) for i in range(5)),
                          volume_1m=volume_1m, volatility_1h=vol, funding_rate=funding)


def _ctx(market: MarketSnapshot | None = None, *, executed: float = 0.2, elapsed: float = 125.0,
         side: Side = Side.BUY, quantity: float = 1.0) -> AdvisorContext:
    progress = OrderProgress(symbol="BTCUSDT", side=side, quantity=quantity, executed=executed,
                             decision_price=65_000.0, started_at=START, deadline=START + 600, now=START + elapsed)
    return AdvisorContext(progress=progress, market=market or _market(), instrument=BTCUSDT, limits=RiskLimits(),
                          strategy="adaptive", interval_s=60.0, baseline_qty=0.1, schedule_target=0.3)


def test_a_passive_decision_posts_a_limit_at_our_touch():
    draft = RulesAdvisor().propose(_ctx())
    assert (draft.action, draft.order_type, draft.tif) == (Action.PASSIVE, OrderType.LIMIT, TimeInForce.GTC)
    assert (draft.quantity, draft.limit_price) == (0.1, BID)
    assert draft.advisor == "rules" and 0 <= draft.confidence <= 1


def test_a_sell_posts_at_the_ask_rounded_away_from_crossing():
    draft = RulesAdvisor().propose(_ctx(_market(ask=65_000.35), side=Side.SELL))
    assert draft.action is Action.PASSIVE
    assert draft.limit_price == float(BTCUSDT.passive_price(65_000.35, "sell")) == 65_000.4


def test_the_reasoning_is_the_rule_that_fired_plus_the_market_facts():
    draft = RulesAdvisor().propose(_ctx())
    assert draft.reasoning.startswith("PASSIVE: Spread 0.46 bps and the book leans neither way")
    assert "Market: mid 65,001.5, spread 0.46 bps" in draft.reasoning
    assert "1-h vol 1.00 %" in draft.reasoning and "funding 0.0100 % per 8 h" in draft.reasoning


def test_accelerating_behind_schedule_crosses_with_a_market_ioc():
    draft = RulesAdvisor().propose(replace(_ctx(executed=0.0), max_catchup=4.0))
    assert (draft.action, draft.order_type, draft.tif, draft.limit_price) == (
        Action.ACCELERATE, OrderType.MARKET, TimeInForce.IOC, None)
    assert draft.quantity == pytest.approx(0.4)
    assert "overdue" in draft.reasoning


def test_accelerating_behind_schedule_is_capped_at_the_orders_catch_up():
    """Three slices behind, the rule would send four (0.4); the default cap is two scheduled slices."""
    draft = RulesAdvisor().propose(_ctx(executed=0.0))
    assert draft.action is Action.ACCELERATE and draft.quantity == pytest.approx(0.2)
    assert "Behind schedule by 0.3 (3.0 scheduled slices of 0.1, 30.0 % of the order)" in draft.reasoning
    assert "Catch-up capped at 2× the scheduled slice: 0.2 instead of 0.4" in draft.reasoning


def test_the_last_interval_crosses_with_everything_left():
    draft = RulesAdvisor().propose(_ctx(executed=0.75, elapsed=560.0))
    assert (draft.action, draft.order_type, draft.quantity) == (Action.AGGRESSIVE, OrderType.MARKET, 0.25)


def test_a_deceleration_posts_a_smaller_limit():
    draft = RulesAdvisor().propose(_ctx(_market(vol=0.04)))
    assert (draft.action, draft.order_type, draft.limit_price) == (Action.DECELERATE, OrderType.LIMIT, BID)
    assert draft.quantity == pytest.approx(0.05)


def test_a_wait_sends_nothing_and_comes_back_next_interval():
    draft = RulesAdvisor().propose(_ctx(_market(funding=0.0006)))
    assert (draft.action, draft.quantity, draft.order_type, draft.limit_price) == (Action.WAIT, 0.0, None, None)
    assert draft.wait_seconds == 60.0 and "pullback" in draft.reasoning


def test_quantities_are_snapped_down_to_the_step():
    draft = RulesAdvisor().propose(_ctx(_market(volume_1m=0.06)))  # the cap trims the slice to 0.00667
    assert draft.action is Action.PASSIVE and draft.quantity == 0.006
    assert Decimal(repr(draft.quantity)) % BTCUSDT.qty_step == 0


def test_a_slice_below_the_minimum_quantity_waits_in_the_backlog():
    draft = RulesAdvisor().propose(_ctx(executed=0.0, elapsed=0.0, quantity=0.005))  # 10 slices of 0.0005
    assert (draft.action, draft.quantity) == (Action.WAIT, 0.0)
    assert "below the instrument's minimum" in draft.reasoning


def test_volatility_above_the_stop_waits_whatever_the_schedule():
    draft = RulesAdvisor().propose(_ctx(_market(vol=0.06), executed=0.0))
    assert draft.action is Action.WAIT
    assert "1-h volatility 6.00 % is above the 5 % stop" in draft.reasoning


def test_the_volume_since_the_last_order_is_an_optional_context_field():
    assert _ctx().market_volume_since_last == 0.0


@pytest.mark.parametrize("executed, elapsed", [(0.2, 125.0), (0.0, 125.0), (0.75, 560.0)])
def test_a_calm_deep_market_proposal_passes_the_risk_gate(executed, elapsed):
    ctx = _ctx(_market(volume_1m=600.0), executed=executed, elapsed=elapsed)
    draft = RulesAdvisor().propose(ctx)
    verdict = evaluate(draft, progress=ctx.progress, market=ctx.market, instrument=BTCUSDT, limits=ctx.limits,
                       interval_s=ctx.interval_s)
    assert not verdict.blocked, verdict.summary
