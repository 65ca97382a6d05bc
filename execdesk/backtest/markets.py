"""Build the market a run executes on (simulated scenario or tape replay) and the strategy that trades it.

Strategies are built from what a desk would know at the start of the order: the market's own
24-hour volume history (VWAP's curve) and the impact model's Almgren–Chriss inputs (IS).
"""

from __future__ import annotations

from functools import lru_cache

from execdesk.backtest.spec import RunSpec
from execdesk.domain.impact import AlmgrenChrissImpact, almgren_chriss_inputs
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.strategies.base import Strategy
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.market.replay import ReplayMarket, TradeTape
from execdesk.market.sim import SIM_PRESETS, SimMarket

TAPE = "tape"
WARMUP_MAX_S = 3600.0  # the history a replay shows before the order by default: an hour, if the tape has it
WARMUP_MIN_S = 60.0  # and never less than a minute


def default_warmup(tape: TradeTape, span_s: float) -> float:
    """As much of an hour as the tape holds before ``span_s`` seconds of orders, at least a minute."""
    room = tape.duration_s - span_s
    if room < WARMUP_MIN_S:
        raise ValueError(f"the tape holds {tape.duration_s:,.0f} s: {span_s:,.0f} s of orders need at least "
                         f"{WARMUP_MIN_S:.0f} s of warm-up before them, {span_s + WARMUP_MIN_S:,.0f} s in all")
    return min(WARMUP_MAX_S, room)


def replay_market(spec: RunSpec) -> ReplayMarket:
    """The replay a run meets: its order starts ``warmup_s`` (plus the seed's offset) after the first print,
    and the market is calibrated on the prints before that start only."""
    order = spec.order
    if not spec.tape:
        raise ValueError("scenario 'tape' needs a tape file (--tape FILE.csv[.gz])")
    tape = load_tape(spec.tape, order.symbol)
    warmup = order.warmup_s if order.warmup_s is not None else default_warmup(tape, order.horizon_s + spec.tape_offset_s)
    start = tape.start + warmup + spec.tape_offset_s
    if start + order.horizon_s > tape.end:
        raise ValueError(f"the tape ends at {tape.end:.0f}, {tape.duration_s:,.0f} s after its first print: no room "
                         f"for a {order.horizon_s:.0f} s order after {warmup:.0f} s of warm-up"
                         + (f" and {spec.tape_offset_s:.0f} s of earlier seeds" if spec.tape_offset_s else ""))
    return ReplayMarket(tape, start_ts=start)


def build_market(spec: RunSpec) -> tuple[MatchableMarket, Instrument]:
    order = spec.order
    if spec.scenario == TAPE:
        replay = replay_market(spec)
        return replay, replay.instrument
    if order.symbol not in SIM_PRESETS:
        raise ValueError(f"no simulated market for {order.symbol}; simulated symbols: {', '.join(SIM_PRESETS)}")
    price, params = SIM_PRESETS[order.symbol]
    market = SimMarket.create(order.symbol, seed=spec.seed, start_ts=order.start_ts, start_price=price,
                              params=params, scenario=spec.scenario)
    return market, SIM_INSTRUMENTS[order.symbol]


@lru_cache(maxsize=4)
def load_tape(path: str, symbol: str) -> TradeTape:
    return TradeTape.load(path, symbol=symbol)


def strategy_for(spec: RunSpec, market: MatchableMarket, instrument: Instrument,
                 impact: AlmgrenChrissImpact | None = None) -> Strategy:
    order = spec.order
    snapshot = market.snapshot()
    ac = almgren_chriss_inputs(impact or AlmgrenChrissImpact(), snapshot, interval_s=order.interval_s,
                              quantity=order.quantity, horizon_s=order.horizon_s)
    try:
        curve = VolumeCurve.from_hourly_volumes(market.hourly_volumes(24))
    except ValueError:  # no whole hour of history (a tape starting mid-hour): no curve to learn from
        curve = VolumeCurve.flat()
    inputs = StrategyInputs(horizon_s=order.horizon_s, interval_s=order.interval_s, volume_curve=curve,
                            sigma=ac.sigma, eta=ac.eta, gamma=ac.gamma, epsilon=ac.epsilon, seed=spec.seed,
                            randomise=order.randomise)
    return build_strategy(spec.strategy, inputs)
