"""A parent order's limit price holds for every fill: a buy never fills above it, a sell never below it —
whatever the market path, the limit's distance from the market, the strategy and the venue's latency
(property test over the simulator and the engine the desk and backtest share)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.end_policy import EndPolicy
from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import OrderReport, OrderRequest, OrderType, Side
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import Decision, decide, schedule_proposer
from execdesk.engine.loop import OrderPlan, StepEngine
from execdesk.market.sim import SimMarket
from execdesk.venues.gateway import PaperGateway

T0 = 1_767_619_800.0


class Fills:
    def __init__(self) -> None:
        self.prices: dict[str, Decimal] = {}
        self.sent: list[OrderRequest] = []

    def decided(self, now: float, market: MarketSnapshot, decision: Decision) -> None: ...

    def sending(self, request: OrderRequest, market: MarketSnapshot, now: float) -> None:
        self.sent.append(request)

    def reported(self, report: OrderReport) -> None:
        for fill in report.fills:
            self.prices[fill.exec_id] = fill.price

    def printed(self, trades: list[Trade]) -> None: ...


def run(*, seed: int, side: Side, offset_bps: float, strategy: str, latency_s: float, preset: str):
    market = SimMarket.create("BTCUSDT", seed=seed, start_ts=T0, scenario=preset, warmup_seconds=600)
    instrument = SIM_INSTRUMENTS["BTCUSDT"]
    mid = market.snapshot().mid
    sign = 1 if side is Side.BUY else -1
    limit = round(mid * (1 + sign * offset_bps / 1e4), 1)
    twap = build_strategy(strategy, StrategyInputs(horizon_s=120.0, interval_s=10.0))
    propose, fills = schedule_proposer(strategy), Fills()
    engine = StepEngine(gateway=PaperGateway(market, instrument, latency_s=latency_s), clock=SimClock(market.ts),
                        instrument=instrument, limits=RiskLimits(), listener=fills, link_prefix="LP",
                        plan=OrderPlan(symbol="BTCUSDT", side=side, quantity=2.0, horizon_s=120.0, interval_s=10.0,
                                       end_policy=EndPolicy.FINISH, limit_price=limit),
                        decide=lambda ctx: decide(twap, ctx, propose=propose))
    engine.run(mid)
    return limit, fills, engine


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=1, max_value=10_000), side=st.sampled_from([Side.BUY, Side.SELL]),
       offset_bps=st.floats(min_value=-5.0, max_value=15.0), strategy=st.sampled_from(["twap", "adaptive", "vwap"]),
       latency_s=st.sampled_from([0.0, 0.05, 0.5]), preset=st.sampled_from(["calm", "high_vol", "trend_up"]))
def test_no_fill_is_ever_beyond_the_parent_limit(seed, side, offset_bps, strategy, latency_s, preset):
    limit, fills, _ = run(seed=seed, side=side, offset_bps=offset_bps, strategy=strategy, latency_s=latency_s,
                          preset=preset)
    bound = Decimal(str(limit))
    for price in fills.prices.values():
        assert (price <= bound) if side is Side.BUY else (price >= bound), (price, bound)
    assert all(req.order_type is not OrderType.MARKET for req in fills.sent)


def test_a_limit_through_the_market_still_trades_and_one_behind_it_waits():
    limit, fills, engine = run(seed=3, side=Side.BUY, offset_bps=10.0, strategy="twap", latency_s=0.0, preset="calm")
    assert fills.prices and engine.executed > 0
    _, behind, engine = run(seed=3, side=Side.BUY, offset_bps=-30.0, strategy="twap", latency_s=0.0, preset="calm")
    assert not behind.sent and engine.executed == 0
