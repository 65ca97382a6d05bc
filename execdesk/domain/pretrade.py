"""The pre-trade estimate shown when a parent order is created: expected cost, its band, and how long.

* ``expected_cost_bps = half_spread_bps + temporary_bps + permanent_bps (+ fee_bps)``: every unit is
  assumed to cross half the spread (the cost of an aggressive schedule; passive fills can only do
  better) plus the impact model's estimate for the quantity worked over the expected duration, plus the
  venue's taker fee rate when the caller gives it (0 by default, as the seed's formula has none).
* The band is where the cost lands with ``confidence`` (95 %): the mid wanders while the order is
  worked. Timing risk: for an even schedule in ``N`` slices over ``D`` seconds the Almgren-Chriss
  variance of the cost is ``V = sigma^2 tau sum_k x_k^2 = sigma^2 X^2 D (N - 1)(2N - 1) / (6 N^2)``,
  ``-> sigma^2 X^2 D / 3`` for many slices, i.e. a standard deviation of ``sigma_s * sqrt(D / 3)`` per
  unit in relative terms (``sigma_s = volatility_1h / sqrt(3600)``, the per-second volatility). On top of
  it, price jumps the last hour's volatility cannot show (a Poisson prior, ``jumps``) and the error of
  that volatility estimate (``volatility_dof``): :mod:`execdesk.domain.pretrade_band` gives the band's
  half-width, the mixture's two-sided quantile (1.96 timing risks with neither). Scheduled events
  (``events``, a calendar: :mod:`execdesk.domain.scheduled_events`) that land while part of the order is
  still to trade (from ``start_ts``, the snapshot's time by default) widen it by their typical move at
  the share still to trade; ``scheduled_line`` says by how much. ``low_bps`` can be negative: the market
  may well move our way.
* ``expected_duration_s`` is the horizon, unless finishing within it needs more than the participation
  cap of the volume; then it is the time the order takes at the cap, and a warning says so.
* The model defaults to the crypto prior, :class:`execdesk.domain.impact.SquareRootImpact` (the
  square-root law with transient impact); ``calibration`` says where its coefficients come from (the
  real-time calibrator's fit, or the prior) and is reported with the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from execdesk.domain.impact import (
    BPS,
    SECONDS_PER_HOUR,
    ImpactEstimate,
    ImpactInputError,
    ImpactModel,
    MarketInputs,
    SquareRootImpact,
)
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.pretrade_band import CRYPTO_JUMPS, VOLATILITY_DOF, JumpPrior, pretrade_band
from execdesk.domain.risk import RiskLimits
from execdesk.domain.scheduled_events import EventRisk, ScheduledEvent, events_in_window, events_line

DEFAULT_CONFIDENCE = 0.95
LARGE_ORDER_ADV = 0.01  # display threshold: warn when the order is above this fraction of the day's volume


@dataclass(frozen=True)
class PreTradeEstimate:
    side: Side
    quantity: float
    notional: float  # quantity x mid, quote currency
    mid: float
    horizon_s: float
    interval_s: float
    expected_duration_s: float
    extended: bool  # True when the participation cap stretches the order beyond its horizon
    required_participation: float  # share of the volume needed to finish within the horizon
    participation: float  # share of the volume actually planned (capped)
    n_slices: int
    half_spread_bps: float
    fee_bps: float
    temporary_bps: float
    permanent_bps: float
    expected_cost_bps: float
    timing_risk_bps: float  # one standard deviation of the diffusion (volatility taken as known)
    confidence: float
    low_bps: float
    high_bps: float
    impact: ImpactEstimate
    model: str
    warnings: tuple[str, ...]
    model_description: str = ""
    calibration: Mapping[str, Any] | None = None  # the fit in use (source, n, coefficients and errors)
    jump_risk_bps: float = 0.0  # one standard deviation of the jumps
    expected_jumps: float = 0.0  # jumps expected over the expected duration under the prior
    jump_prior: JumpPrior | None = None
    volatility_dof: int | None = None  # the 1-h volatility's degrees of freedom (None: taken as known)
    scheduled_events: tuple[EventRisk, ...] = ()  # the calendar's events inside the order's window
    event_risk_bps: float = 0.0  # one standard deviation of those events together
    event_widening_bps: float = 0.0  # how much they widen the band's half-width
    scheduled_line: str = ""  # the panel's line about them ("" without events)

    @property
    def expected_cost_quote(self) -> float:
        return self.expected_cost_bps / BPS * self.notional

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side.value,
            "quantity": self.quantity,
            "notional": round(self.notional, 2),
            "mid": self.mid,
            "horizon_s": round(self.horizon_s, 3),
            "interval_s": round(self.interval_s, 3),
            "expected_duration_s": round(self.expected_duration_s, 3),
            "extended": self.extended,
            "required_participation": round(self.required_participation, 6),
            "participation": round(self.participation, 6),
            "n_slices": self.n_slices,
            "half_spread_bps": round(self.half_spread_bps, 4),
            "fee_bps": round(self.fee_bps, 4),
            "temporary_bps": round(self.temporary_bps, 4),
            "permanent_bps": round(self.permanent_bps, 4),
            "expected_cost_bps": round(self.expected_cost_bps, 4),
            "expected_cost_quote": round(self.expected_cost_quote, 2),
            "timing_risk_bps": round(self.timing_risk_bps, 4),
            "jump_risk_bps": round(self.jump_risk_bps, 4),
            "expected_jumps": round(self.expected_jumps, 6),
            "jump_prior": self.jump_prior.to_dict() if self.jump_prior is not None else None,
            "volatility_dof": self.volatility_dof,
            "scheduled_events": [e.to_dict() for e in self.scheduled_events],
            "event_risk_bps": round(self.event_risk_bps, 4),
            "event_widening_bps": round(self.event_widening_bps, 4),
            "scheduled_line": self.scheduled_line,
            "confidence": self.confidence,
            "low_bps": round(self.low_bps, 4),
            "high_bps": round(self.high_bps, 4),
            "model": self.model,
            "model_description": self.model_description,
            "calibration": dict(self.calibration) if self.calibration is not None else None,
            "impact": self.impact.to_dict(),
            "warnings": list(self.warnings),
        }


def pretrade_estimate(
    *,
    side: Side | str,
    quantity: float,
    horizon_s: float,
    market: MarketSnapshot,
    interval_s: float,
    model: ImpactModel | None = None,
    limits: RiskLimits | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    large_order_adv: float = LARGE_ORDER_ADV,
    fee_bps: float = 0.0,
    calibration: Mapping[str, Any] | None = None,
    jumps: JumpPrior | None = CRYPTO_JUMPS,
    volatility_dof: int | None = VOLATILITY_DOF,
    events: Iterable[ScheduledEvent] = (),
    start_ts: float | None = None,
) -> PreTradeEstimate:
    """Expected cost of working ``quantity`` over ``horizon_s`` in ``interval_s`` slices from ``market``.

    Raises :class:`ImpactInputError` (a ValueError) for a non-positive or non-finite quantity,
    horizon or interval, and for a market without a usable mid or volume: with no volume there is no
    participation to speak of and no impact to scale. A zero volatility is accepted: the band collapses
    and a warning says that sigma-scaled impact reads zero.
    """
    try:
        side = Side(side)
    except ValueError:
        raise ImpactInputError(f"side must be 'buy' or 'sell', got {side!r}") from None
    for name, value in (("quantity", quantity), ("horizon_s", horizon_s), ("interval_s", interval_s)):
        if not (math.isfinite(value) and value > 0):
            raise ImpactInputError(f"{name} must be > 0 and finite, got {value!r}")
    if not (math.isfinite(fee_bps) and fee_bps >= 0):
        raise ImpactInputError(f"fee_bps must be >= 0 and finite, got {fee_bps!r}")
    if not (math.isfinite(confidence) and 0 < confidence < 1):
        raise ImpactInputError(f"confidence must be within (0, 1), got {confidence!r}")
    limits = limits or RiskLimits()
    if model is None:
        model = SquareRootImpact()
        calibration = calibration or {"source": "prior", "model": model.name, "y": model.y,
                                      "gamma": model.gamma, "half_life_s": model.half_life_s}
    cap = limits.max_participation
    inputs = MarketInputs.of(market)

    horizon_volume = inputs.volume_per_s * horizon_s
    required = quantity / (quantity + horizon_volume)
    extended = required > cap
    # at participation p we trade p / (1 - p) units per unit the market prints
    duration = quantity * (1.0 - cap) / (cap * inputs.volume_per_s) if extended else float(horizon_s)
    participation = min(required, cap)

    impact = model.estimate(quantity, duration_s=duration, market=market)
    half_spread_bps = inputs.half_spread / inputs.mid * BPS
    expected = half_spread_bps + impact.temporary_bps + impact.permanent_bps + fee_bps

    n_slices = max(1, math.ceil(duration / interval_s - 1e-9))
    sigma_per_s = market.volatility_1h / math.sqrt(SECONDS_PER_HOUR)
    start = market.ts if start_ts is None else start_ts
    risks = events_in_window(events, symbol=market.symbol, start_ts=start, duration_s=duration, n_slices=n_slices)
    band = pretrade_band(sigma_per_s=sigma_per_s, duration_s=duration, n_slices=n_slices, confidence=confidence,
                         jumps=jumps, volatility_dof=volatility_dof, event_moves_bps=[r.risk_bps for r in risks])
    widening = 0.0
    if risks:
        without = pretrade_band(sigma_per_s=sigma_per_s, duration_s=duration, n_slices=n_slices,
                                confidence=confidence, jumps=jumps, volatility_dof=volatility_dof)
        widening = band.half_width_bps - without.half_width_bps

    warnings = _warnings(
        quantity=quantity,
        horizon_s=horizon_s,
        interval_s=interval_s,
        duration=duration,
        n_slices=n_slices,
        required=required,
        cap=cap,
        inputs=inputs,
        market=market,
        limits=limits,
        impact=impact,
        large_order_adv=large_order_adv,
    )
    return PreTradeEstimate(
        side=side,
        quantity=float(quantity),
        notional=quantity * inputs.mid,
        mid=inputs.mid,
        horizon_s=float(horizon_s),
        interval_s=float(interval_s),
        expected_duration_s=duration,
        extended=extended,
        required_participation=required,
        participation=participation,
        n_slices=n_slices,
        half_spread_bps=half_spread_bps,
        fee_bps=float(fee_bps),
        temporary_bps=impact.temporary_bps,
        permanent_bps=impact.permanent_bps,
        expected_cost_bps=expected,
        timing_risk_bps=band.timing_risk_bps,
        confidence=confidence,
        low_bps=expected - band.half_width_bps,
        high_bps=expected + band.half_width_bps,
        impact=impact,
        model=impact.model,
        warnings=tuple(warnings),
        model_description=model.describe(),
        calibration=calibration,
        jump_risk_bps=band.jump_risk_bps,
        expected_jumps=band.expected_jumps,
        jump_prior=jumps,
        volatility_dof=volatility_dof,
        scheduled_events=risks,
        event_risk_bps=band.event_risk_bps,
        event_widening_bps=widening,
        scheduled_line=events_line(risks, start_ts=start, widened_bps=widening),
    )


def _warnings(
    *,
    quantity: float,
    horizon_s: float,
    interval_s: float,
    duration: float,
    n_slices: int,
    required: float,
    cap: float,
    inputs: MarketInputs,
    market: MarketSnapshot,
    limits: RiskLimits,
    impact: ImpactEstimate,
    large_order_adv: float,
) -> list[str]:
    out: list[str] = []
    if duration > horizon_s:
        out.append(
            f"Finishing in {_duration(horizon_s)} needs {required:.1%} of the market's volume, above the "
            f"{cap:.0%} participation cap: at the cap the order takes about {_duration(duration)} "
            f"({duration / horizon_s:.1f}x the horizon)."
        )
    size_adv = quantity / inputs.adv
    if size_adv > large_order_adv:
        out.append(
            f"The order is {size_adv:.1%} of the day's volume (ADV {inputs.adv:,.4g} from the last hour "
            f"x 24): impact estimates are least reliable for large orders."
        )
    if market.spread_bps > limits.max_spread_bps:
        out.append(
            f"The spread is {market.spread_bps:.1f} bps, wider than the {limits.max_spread_bps:.0f} bps an "
            f"aggressive order may cross: expect passive fills only, or a wait."
        )
    if market.volatility_1h > limits.max_volatility_1h:
        out.append(
            f"1-hour volatility is {market.volatility_1h:.2%}, above the {limits.max_volatility_1h:.0%} at "
            f"which the risk gate stops trading."
        )
    if market.volatility_1h == 0:
        out.append(
            "1-hour volatility is 0: the band holds only the jump risk and volatility-scaled impact reads 0; "
            "treat the estimate as a floor."
        )
    if market.stale:
        out.append("The market data is stale: the estimate uses the last snapshot received.")
    if impact.adjustment and impact.adjustment.clamped:
        out.append(
            f"The advisor's impact multiplier {impact.adjustment.raw:g} was clamped to "
            f"{impact.adjustment.applied:g}."
        )
    slice_notional = quantity * inputs.mid / n_slices
    if slice_notional > limits.max_order_notional:
        out.append(
            f"Even slices would be {slice_notional:,.0f} each, above the {limits.max_order_notional:,.0f} "
            f"per-order limit: use a shorter interval than {_duration(interval_s)}."
        )
    return out


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * SECONDS_PER_HOUR:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / SECONDS_PER_HOUR:.1f} h"
