"""Build the market a run executes on (simulated scenario or tape replay) and the strategy that trades it.

Strategies are built from what a desk would know at the start of the order: the market's own
24-hour volume history (VWAP's curve, and the volume POV expects over the horizon) and the impact model's
Almgren–Chriss inputs (IS).

POV is compared like for like: unless the order fixes its rate, POV's rate is q / (q + V) with V the
market volume expected over the horizon (the same hours of the day in the last 24 hours of history), so
that its expected completion is the horizon the scheduled strategies work over. What it has not done by
the deadline is left, and the TCA charges its completion.
"""

from __future__ import annotations

import math
from functools import lru_cache

from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.domain.impact import ImpactModel, SquareRootImpact, almgren_chriss_inputs
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.strategies.base import Strategy
from execdesk.domain.strategies.is_urgency import resolve_risk_aversion
from execdesk.domain.strategies.pov import POVTerms, pov_expected_completion_s, pov_rate_to_finish
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


DEFAULT_POV_RATE = 0.05  # the desk's rate, used when no volume is expected (an empty history)
HOUR_S = 3600.0


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
                 impact: ImpactModel | None = None) -> Strategy:
    order = spec.order
    snapshot = market.snapshot()
    _, risk_aversion = is_risk_aversion(spec, market)
    ac = almgren_chriss_inputs(impact or SquareRootImpact(), snapshot, interval_s=order.interval_s,
                              quantity=order.quantity, horizon_s=order.horizon_s)
    try:
        curve = VolumeCurve.from_hourly_volumes(market.hourly_volumes(24))
    except ValueError:  # no whole hour of history (a tape starting mid-hour): no curve to learn from
        curve = VolumeCurve.flat()
    pov = spec.strategy == "pov"
    terms = pov_terms_for(order, expected_volume(market, order.horizon_s)) if pov else POVTerms(DEFAULT_POV_RATE)
    inputs = StrategyInputs(horizon_s=order.horizon_s, interval_s=order.interval_s, volume_curve=curve,
                            sigma=ac.sigma, eta=ac.eta, gamma=ac.gamma, epsilon=ac.epsilon, seed=spec.seed,
                            randomise=order.randomise, pov_rate=terms.rate, min_participation=terms.min_participation,
                            max_participation=terms.max_participation, risk_aversion=risk_aversion)
    return build_strategy(spec.strategy, inputs)


def is_risk_aversion(spec: RunSpec, market: MatchableMarket) -> tuple[str, float]:
    """IS's urgency label and lambda for this order, as the desk sets them at start: the order's lambda, or
    its urgency's (medium by default) on the notional at the mid the order starts at."""
    order = spec.order
    return resolve_risk_aversion(order.quantity * market.snapshot().mid, urgency=order.urgency,
                                 risk_aversion=order.risk_aversion)


def is_plan_params(spec: RunSpec, market: MatchableMarket, strategy: Strategy) -> dict[str, float | str]:
    """What IS chose up front, for the run's row: its urgency, lambda and the kappa T of its trajectory."""
    urgency, lam = is_risk_aversion(spec, market)
    ac_plan = getattr(strategy, "ac_plan", None)
    kappa_t = ac_plan(spec.order.quantity).kappa * spec.order.horizon_s if ac_plan is not None else math.nan
    return {"urgency": urgency, "risk_aversion": lam, "kappa_t": kappa_t}


def pov_plan(spec: RunSpec, market: MatchableMarket) -> dict[str, float | None]:
    """POV's rate for this order and the completion time it implies on the volume expected over the
    horizon: the order's fixed rate if it has one, else the rate expected to finish exactly at the horizon.
    `expected_completion_s` is None when no volume is expected (the comparison is then not like for like)."""
    order = spec.order
    volume = expected_volume(market, order.horizon_s)
    terms = pov_terms_for(order, volume)
    # with bounds POV steers towards the reference schedule: it is expected to work at the rate that finishes
    # at the horizon, brought within them
    working = (terms.clip(pov_rate_to_finish(order.quantity, volume)) if terms.bounded and volume is not None
               else terms.rate)
    completion = (None if volume is None
                  else pov_expected_completion_s(order.quantity, working, volume / order.horizon_s))
    plan: dict[str, float | None] = {"pov_rate": terms.rate, "expected_volume": volume,
                                     "expected_completion_s": completion}
    if terms.bounded:
        plan.update(min_participation=terms.min_participation, max_participation=terms.max_participation,
                    expected_rate=working)
    return plan


def pov_rate_for(quantity: float, fixed: float | None, volume: float | None) -> float:
    if fixed is not None:
        return fixed
    return DEFAULT_POV_RATE if volume is None else pov_rate_to_finish(quantity, volume)


def pov_terms_for(order: OrderSpec, volume: float | None) -> POVTerms:
    """POV's terms for this order: its fixed rate, or the rate expected to finish at the horizon brought within
    the order's bounds, with those bounds."""
    rate = pov_rate_for(order.quantity, order.pov_rate, volume)
    if order.pov_rate is None:
        low = order.min_participation if order.min_participation is not None else rate
        high = order.max_participation if order.max_participation is not None else rate
        rate = min(max(rate, low), high)
    return order.pov_terms(rate)


def expected_volume(market: MatchableMarket, horizon_s: float) -> float | None:
    """The market volume expected over the next `horizon_s` from the market's own hourly history: each
    hour of the day the horizon covers at the volume it had 24 hours earlier (pro rata), or, when the
    history lacks that hour (a short tape), the mean hourly volume of the history or the last hour's
    volume. None when there is no volume to go by."""
    start = market.ts
    try:
        history = market.hourly_volumes(24)
    except ValueError:
        history = []
    by_hour = {int(ts // HOUR_S) % 24: v for ts, v in history}
    mean_hour = math.fsum(by_hour.values()) / len(by_hour) if by_hour else market.snapshot().volume_1h
    total, t, end = 0.0, start, start + horizon_s
    while t < end - 1e-9:
        hour_end = min(end, (math.floor(t / HOUR_S) + 1) * HOUR_S)
        total += by_hour.get(int(t // HOUR_S) % 24, mean_hour) * (hour_end - t) / HOUR_S
        t = hour_end
    return total if total > 0 and math.isfinite(total) else None
