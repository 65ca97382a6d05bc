"""Build the market a run executes on (simulated scenario or tape replay) and the strategy that trades it.

Strategies are built from what a desk would know at the start of the order: the market's own
24-hour volume history (VWAP's curve) and the impact model's Almgren–Chriss inputs (IS).
"""

from __future__ import annotations

from functools import lru_cache

from execdesk.backtest.spec import RunSpec
from execdesk.domain.impact import ImpactModel, SquareRootImpact, almgren_chriss_inputs
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.strategies.base import Strategy
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.market.replay import ReplayMarket, TradeTape
from execdesk.market.sim import SIM_PRESETS, SimMarket

TAPE = "tape"
TAPE_WARMUP_S = 3600.0  # history the replayed market shows before the order starts


def build_market(spec: RunSpec) -> tuple[MatchableMarket, Instrument]:
    order = spec.order
    if spec.scenario == TAPE:
        if not spec.tape:
            raise ValueError("scenario 'tape' needs a tape file (--tape FILE.csv[.gz])")
        tape = _tape(spec.tape, order.symbol)
        start = tape.start + TAPE_WARMUP_S + spec.tape_offset_s
        if start + order.horizon_s > tape.end:
            raise ValueError(f"the tape ends at {tape.end:.0f}: no room for a {order.horizon_s:.0f} s order "
                             f"starting {spec.tape_offset_s:.0f} s after its first hour")
        replay = ReplayMarket(tape, start_ts=start)
        return replay, replay.instrument
    if order.symbol not in SIM_PRESETS:
        raise ValueError(f"no simulated market for {order.symbol}; simulated symbols: {', '.join(SIM_PRESETS)}")
    price, params = SIM_PRESETS[order.symbol]
    market = SimMarket.create(order.symbol, seed=spec.seed, start_ts=order.start_ts, start_price=price,
                              params=params, scenario=spec.scenario)
    return market, SIM_INSTRUMENTS[order.symbol]


@lru_cache(maxsize=4)
def _tape(path: str, symbol: str) -> TradeTape:
    return TradeTape.load(path, symbol=symbol)


def strategy_for(spec: RunSpec, market: MatchableMarket, instrument: Instrument,
                 impact: ImpactModel | None = None) -> Strategy:
    order = spec.order
    snapshot = market.snapshot()
    ac = almgren_chriss_inputs(impact or SquareRootImpact(), snapshot, interval_s=order.interval_s,
                              quantity=order.quantity, horizon_s=order.horizon_s)
    try:
        curve = VolumeCurve.from_hourly_volumes(market.hourly_volumes(24))
    except ValueError:  # no whole hour of history (a tape starting mid-hour): no curve to learn from
        curve = VolumeCurve.flat()
    inputs = StrategyInputs(horizon_s=order.horizon_s, interval_s=order.interval_s, volume_curve=curve,
                            sigma=ac.sigma, eta=ac.eta, gamma=ac.gamma, epsilon=ac.epsilon, seed=spec.seed,
                            randomise=order.randomise)
    return build_strategy(spec.strategy, inputs)
