"""Strategies by name: the one table the desk, the CLI and the backtest build their strategy from.

Also holds the `Strategy` wrappers of the VWAP and POV functions (vwap.py, pov.py), which stay plain
functions with their own tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.adaptive import AdaptiveStrategy
from execdesk.domain.strategies.base import Slice, StepInput, Strategy, StrategyDecision, baseline_decision
from execdesk.domain.strategies.is_strategy import ISConfig, ISStrategy
from execdesk.domain.strategies.pov import POVConfig, POVTerms, pov_rate_now, pov_slice
from execdesk.domain.strategies.twap import MAX_RANDOMISE, TWAPConfig, TWAPStrategy
from execdesk.domain.strategies.vwap import VolumeCurve, VWAPConfig, vwap_plan, vwap_slice, vwap_target

STRATEGY_NAMES: tuple[str, ...] = ("twap", "vwap", "is", "pov", "adaptive")


@dataclass(frozen=True)
class StrategyInputs:
    """Everything any strategy may need; each takes what applies to it.

    `sigma`, `eta`, `gamma`, `epsilon`, `risk_aversion`: the IS strategy's Almgren–Chriss model in
    seconds (volatility per sqrt(second), temporary impact in price per (unit/second), permanent impact
    in price per unit, fixed cost per unit); `risk_aversion` None picks the lambda whose trajectory has
    kappa T = 1 (see is_strategy.DEFAULT_KAPPA_T). `volume_curve`: VWAP's, and POV's reference
    schedule; flat when None. `randomise`: TWAP's and adaptive's size and timing jitter, 0..0.5.
    """

    horizon_s: float
    interval_s: float
    volume_curve: VolumeCurve | None = None
    sigma: float | None = None
    eta: float | None = None
    gamma: float | None = None
    epsilon: float = 0.0
    risk_aversion: float | None = None
    pov_rate: float = 0.05
    min_participation: float | None = None
    max_participation: float | None = None
    randomise: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("horizon_s", "interval_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        for name in ("sigma", "eta", "gamma", "epsilon", "risk_aversion"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be non-negative and finite, got {value!r}")
        if not (math.isfinite(self.pov_rate) and 0 < self.pov_rate <= 1):
            raise ValueError(f"pov_rate must be within (0, 1], got {self.pov_rate!r}")
        POVTerms(self.pov_rate, self.min_participation, self.max_participation)  # min <= rate <= max, each in (0, 1]
        if not (math.isfinite(self.randomise) and 0 <= self.randomise <= MAX_RANDOMISE):
            raise ValueError(f"randomise must be within [0, {MAX_RANDOMISE}], got {self.randomise!r}")
        if self.volume_curve is not None and not isinstance(self.volume_curve, VolumeCurve):
            raise ValueError(f"volume_curve must be a VolumeCurve or None, got {self.volume_curve!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    @property
    def pov_terms(self) -> POVTerms:
        return POVTerms(self.pov_rate, self.min_participation, self.max_participation)

    @property
    def curve(self) -> VolumeCurve:
        return self.volume_curve if self.volume_curve is not None else VolumeCurve.flat()


def build_strategy(name: str, inputs: StrategyInputs) -> Strategy:
    """The strategy called `name` (one of STRATEGY_NAMES), configured from `inputs`."""
    twap = TWAPConfig(inputs.horizon_s, inputs.interval_s, randomise_size=inputs.randomise,
                      randomise_time=inputs.randomise, seed=inputs.seed)
    if name == "twap":
        return TWAPStrategy(twap)
    if name == "vwap":
        return VWAPStrategy(VWAPConfig(inputs.horizon_s, inputs.interval_s, inputs.curve))
    if name == "is":
        missing = [n for n in ("sigma", "eta", "gamma") if getattr(inputs, n) is None]
        if inputs.sigma is None or inputs.eta is None or inputs.gamma is None:
            raise ValueError(f"strategy 'is' needs the Almgren-Chriss volatility and impact coefficients "
                             f"sigma, eta and gamma; missing: {', '.join(missing)}")
        return ISStrategy(ISConfig(inputs.horizon_s, inputs.interval_s, sigma=inputs.sigma, eta=inputs.eta,
                                   gamma=inputs.gamma, epsilon=inputs.epsilon, risk_aversion=inputs.risk_aversion))
    if name == "pov":
        return POVStrategy(inputs.pov_terms, VWAPConfig(inputs.horizon_s, inputs.interval_s, inputs.curve))
    if name == "adaptive":
        return AdaptiveStrategy(twap)
    raise ValueError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGY_NAMES)}")


class VWAPStrategy:
    """VWAP on the volume curve: the slice due with catch-up, nothing while well ahead of the curve."""

    name = "vwap"

    def __init__(self, config: VWAPConfig) -> None:
        self.config = config

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        return vwap_plan(total_quantity, self.config, started_at)

    def target(self, progress: OrderProgress) -> float:
        return vwap_target(progress.quantity, self.config, progress.started_at, progress.now)

    def decide(self, step: StepInput) -> StrategyDecision:
        progress = step.progress
        basis = ("the deadline has passed, everything remaining is due" if progress.time_left <= 0
                 else "the volume curve's slice with catch-up")
        return baseline_decision(self.name, vwap_slice(progress, self.config), self.target(progress), progress,
                                 basis)


class POVStrategy:
    """POV at its target rate (never above the step's participation cap) of the volume since our last order,
    steered within its min and max participation towards the reference schedule (pov.py).

    POV follows the market's volume, not a clock: its `target` and `schedule` are a reference only, the
    volume curve's (VWAP's) schedule, which is where POV ends up when the market prints what the curve
    expects. The steering band is one interval's even share of the order.
    """

    name = "pov"
    schedule_bound = False  # its slice follows the volume, bounded by its rate: no catch-up cap (domain.catchup)

    def __init__(self, terms: POVTerms | float, reference: VWAPConfig) -> None:
        self.terms = terms if isinstance(terms, POVTerms) else POVTerms(terms)
        self.target_rate = self.terms.rate
        self.reference = reference

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        return vwap_plan(total_quantity, self.reference, started_at)

    def target(self, progress: OrderProgress) -> float:
        return vwap_target(progress.quantity, self.reference, progress.started_at, progress.now)

    def band(self, total_quantity: float) -> float:
        """How far from the reference schedule POV may be before it moves to a bound: one interval's even
        share of the order."""
        return total_quantity * min(1.0, self.reference.interval_seconds / self.reference.horizon_seconds)

    def decide(self, step: StepInput) -> StrategyDecision:
        progress, cap = step.progress, step.max_participation
        target = self.target(progress)
        rate, why = pov_rate_now(progress, self.terms, target, self.band(progress.quantity), cap)
        # pov_slice trades max_participation from the deadline on: that is the rate chosen above
        qty = pov_slice(progress, POVConfig(target_rate=rate, max_participation=rate), step.market_volume_since_last)
        bounds = (f"; bounds {self.terms.low * 100:g}–{self.terms.high * 100:g} %, {why}" if self.terms.bounded
                  else "")
        basis = (f"{rate * 100:g} % of the volume with the {step.market_volume_since_last:.6g} the market printed "
                 f"since our last order (target {self.terms.rate * 100:g} %, cap {cap * 100:g} %{bounds})")
        return baseline_decision(self.name, qty, target, progress, basis)
