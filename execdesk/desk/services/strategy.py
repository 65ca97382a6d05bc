"""The parent order's strategy on the desk: its inputs frozen at start, the impact model recalibrated from
our own fills, and the pre-trade estimate shown at creation. The backtest builds the same strategies
from the same registry (execdesk.backtest.markets)."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from execdesk.desk.models import ChildOrder, Fill, ImpactObservation, ParentOrder
from execdesk.desk.selectors.calendar import scheduled_events_from
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.strategy_terms import POV_RATE
from execdesk.domain.impact import ImpactInputError, almgren_chriss_inputs
from execdesk.domain.impact_calibration import CalibrationInputError, ImpactCalibrator, ImpactFit
from execdesk.domain.impact_calibration import ImpactObservation as Observation
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.pretrade import pretrade_estimate
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.base import Strategy
from execdesk.domain.strategies.is_urgency import ISInputs, is_pretrade, resolve_risk_aversion
from execdesk.domain.strategies.pov import POVTerms, pov_expected_duration_s
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.venues.paper import PaperFees

log = logging.getLogger(__name__)
WINDOW = 1000  # observations the real-time calibration keeps, per symbol


def impact_calibration(symbol: str) -> ImpactCalibrator:
    """A calibrator fed with the symbol's last 1,000 aggressive child executions, oldest first, each with our
    impact volume before it and at its markout (from its parent order's taker fills)."""
    calibrator = ImpactCalibrator(WINDOW)
    rows = list(ImpactObservation.objects.filter(symbol=symbol).select_related("child")
                .order_by("-created_at", "-id")[:WINDOW])
    taker = _taker_fills({row.child.parent_id for row in rows})
    half_life = calibrator.prior.half_life_s
    for row in reversed(rows):
        sent, markout_at = row.child.created_at.timestamp(), row.created_at.timestamp()
        fills = taker.get(row.child.parent_id, [])
        try:
            # the model's side is "buy"/"sell"; the domain coerces it to Side and refuses anything else;
            # duration_s holds the markout delay: the seconds from the child to mid_after
            calibrator.observe(Observation(
                side=cast(Side, row.side), quantity=float(row.qty), price=float(row.avg_price),
                mid_before=float(row.mid_before), mid_after=float(row.mid_after), markout_s=row.duration_s,
                volatility_1h=row.volatility_1h, adv=row.adv, spread_bps=row.spread_bps,
                impact_before=_impact_volume(fills, sent, half_life, exclude=row.child_id),
                impact_after=_impact_volume(fills, markout_at, half_life),
                traded_after=sum(q for ts, q, child in fills if child != row.child_id and sent <= ts <= markout_at)))
        except CalibrationInputError as exc:  # a degenerate row (e.g. a zero-volume market) teaches nothing
            log.info("impact observation %s skipped: %s", row.pk, exc)
    return calibrator


def _taker_fills(parent_ids: set[int]) -> dict[int, list[tuple[float, float, int]]]:
    """``(ts, signed qty, child id)`` of each parent's taker fills: what builds our impact volume."""
    out: dict[int, list[tuple[float, float, int]]] = {}
    fills = Fill.objects.filter(parent_id__in=parent_ids, liquidity="taker").select_related("child")
    for fill in fills.only("parent_id", "child_id", "child__side", "qty", "ts"):
        sign = 1.0 if fill.child.side == "buy" else -1.0
        out.setdefault(fill.parent_id, []).append((fill.ts.timestamp(), sign * float(fill.qty), fill.child_id))
    return out


def _impact_volume(fills: list[tuple[float, float, int]], at: float, half_life_s: float,
                   exclude: int | None = None) -> float:
    """Our impact volume at ``at``: the signed taker fills before it, each decayed by the half-life."""
    return sum(q * 0.5 ** ((at - ts) / half_life_s) for ts, q, child in fills if ts <= at and child != exclude)


FIT_REFRESH_OBSERVATIONS = 50
_fits: dict[str, tuple[float, int, ImpactFit]] = {}  # per process: symbol -> (fitted at, newest observation, fit)


def impact_fit(symbol: str) -> ImpactFit:
    """The symbol's calibrated impact model. A fit reads up to 1,000 observations and their orders' fills, and
    every step asks for it: each process keeps it until it is EXECDESK_IMPACT_FIT_REFRESH_SECONDS old or 50
    newer observations came in (a 1,000-observation window moves little in between)."""
    refresh_s = float(settings.EXECDESK["IMPACT_FIT_REFRESH_SECONDS"])
    newest = ImpactObservation.objects.filter(symbol=symbol).aggregate(newest=Max("id"))["newest"] or 0
    cached, now = _fits.get(symbol), time.monotonic()
    if cached is not None and refresh_s > 0 and now - cached[0] < refresh_s and newest >= cached[1]:
        # counted, not subtracted: ids are not consecutive (a sequence shared by every symbol, never reused)
        added = (ImpactObservation.objects.filter(symbol=symbol, id__gt=cached[1]).order_by()
                 [:FIT_REFRESH_OBSERVATIONS].count()) if newest > cached[1] else 0
        if added < FIT_REFRESH_OBSERVATIONS:
            return cached[2]
    fit = impact_calibration(symbol).fit()
    _fits[symbol] = (now, newest, fit)
    return fit


def strategy_params_for(parent: ParentOrder, snapshot: MarketSnapshot,
                        hourly_volumes: list[tuple[float, float]]) -> dict[str, Any]:
    """What the strategy needs, fixed when the order starts: the 24-h volume curve from the market's own
    history and the Almgren–Chriss inputs from the recalibrated impact model."""
    fit = impact_fit(parent.symbol)
    rate = POV_RATE if parent.pov_rate is None else parent.pov_rate
    params: dict[str, Any] = {"pov_rate": rate, "pov_rate_pct": rate * 100, "seed": parent.pk,
                              "impact_model": fit.to_dict(),
                              "randomise": float((parent.strategy_params or {}).get("randomise", 0.0))}
    for bound in ("min_participation", "max_participation"):
        if getattr(parent, bound) is not None:
            params[bound] = getattr(parent, bound)
    try:
        params["volume_curve"] = list(VolumeCurve.from_hourly_volumes(hourly_volumes).weights)
    except ValueError as exc:
        params["volume_curve"] = list(VolumeCurve.flat().weights)
        params["volume_curve_note"] = f"flat curve: {exc}"
    try:
        ac = almgren_chriss_inputs(fit.model, snapshot, interval_s=float(parent.interval_seconds),
                                   quantity=float(parent.quantity), horizon_s=float(parent.horizon_seconds))
        params.update(sigma=ac.sigma, eta=ac.eta, gamma=ac.gamma, epsilon=ac.epsilon)
    except ImpactInputError as exc:
        params["ac_note"] = str(exc)
    if parent.strategy == "is":
        params.update(_is_risk_aversion(parent, snapshot, params))
    return params


def _is_risk_aversion(parent: ParentOrder, snapshot: MarketSnapshot, params: dict[str, Any]) -> dict[str, Any]:
    """IS's lambda, fixed at start: the order's own, or its urgency's on the notional at the start's mid, with
    the kappa T it gives on the frozen sigma, eta and gamma."""
    try:
        label, lam = resolve_risk_aversion(float(parent.quantity) * snapshot.mid, urgency=parent.urgency or None,
                                           risk_aversion=parent.risk_aversion)
    except ValueError as exc:  # a market without a price: nothing to scale the urgency by
        raise InvalidInput(f"cannot set IS's risk aversion: {exc}") from None
    out: dict[str, Any] = {"urgency": label, "risk_aversion": lam}
    if "sigma" in params:
        try:
            plan = ISInputs(quantity=float(parent.quantity), mid=snapshot.mid,
                            horizon_s=float(parent.horizon_seconds), interval_s=float(parent.interval_seconds),
                            sigma=params["sigma"], eta=params["eta"], gamma=params["gamma"],
                            epsilon=params["epsilon"]).plan(lam)
            out["kappa_t"] = plan.kappa * float(parent.horizon_seconds)
        except ValueError as exc:  # the start refuses the strategy with this reason (strategy_of)
            out["is_note"] = str(exc)
    return out


def strategy_of(parent: ParentOrder) -> Strategy:
    p = parent.strategy_params or {}
    curve = VolumeCurve(tuple(p["volume_curve"])) if p.get("volume_curve") else None
    inputs = StrategyInputs(horizon_s=float(parent.horizon_seconds), interval_s=float(parent.interval_seconds),
                            volume_curve=curve, sigma=p.get("sigma"), eta=p.get("eta"), gamma=p.get("gamma"),
                            epsilon=p.get("epsilon", 0.0), risk_aversion=p.get("risk_aversion"),
                            pov_rate=p.get("pov_rate", POV_RATE), min_participation=p.get("min_participation"),
                            max_participation=p.get("max_participation"),
                            randomise=float(p.get("randomise", 0.0)), seed=int(p.get("seed", parent.pk or 0)))
    return build_strategy(parent.strategy, inputs)


def pretrade_for(*, side: str, quantity: float, horizon_s: float, interval_s: float, snapshot: MarketSnapshot,
                 symbol: str, strategy: str = "twap", urgency: str = "", risk_aversion: float | None = None,
                 pov_terms: POVTerms | None = None,
                 participation_cap: float = RiskLimits.max_participation) -> dict[str, Any]:
    """The estimate over the time the strategy will actually take: POV trades at its rate of the volume,
    so it finishes when the market's volume allows, before or after the horizon (pov_expected_duration_s:
    with bounds, at the rate that finishes at the horizon brought within them). IS adds its efficient
    frontier with the point its urgency (or risk aversion) chooses and the slices that follow. The band counts
    the desk's calendar of scheduled events from now (models.ScheduledEvent)."""
    fit = impact_fit(symbol)
    now = timezone.now()
    is_plan = (_is_plan(fit, snapshot, quantity=quantity, horizon_s=horizon_s, interval_s=interval_s,
                        urgency=urgency, risk_aversion=risk_aversion) if strategy == "is" else None)
    note = ""
    if strategy == "pov" and snapshot.volume_1h > 0:
        terms = pov_terms or POVTerms(POV_RATE)
        pov_s, rate = pov_expected_duration_s(quantity, terms, snapshot.volume_1h / 3600, horizon_s,
                                              cap=participation_cap)
        if pov_s < horizon_s:
            note = (f"POV at {rate * 100:.3g}% of the volume is expected to finish in {max(pov_s, interval_s):,.0f} "
                    "s, before the horizon: the estimate is over that time")
        elif pov_s > horizon_s:
            after = min(terms.max_participation or participation_cap, participation_cap)
            note = (f"POV at {rate * 100:.3g}% of the volume is expected to need {pov_s:,.0f} s, beyond the "
                    f"{horizon_s:,.0f} s horizon (it goes on at {after * 100:.3g}% after the deadline): the "
                    "estimate is over that time")
        horizon_s = max(pov_s, interval_s)
    try:
        estimate = pretrade_estimate(side=side, quantity=quantity, horizon_s=horizon_s, market=snapshot,
                                     model=fit.model, interval_s=interval_s, calibration=fit.to_dict(),
                                     fee_bps=float(PaperFees().taker) * 1e4,  # crossing: the taker rate
                                     events=scheduled_events_from(symbol, now), start_ts=now.timestamp())
    except ValueError as exc:
        return {"error": f"no pre-trade estimate: {exc}"}
    data = estimate.to_dict()
    data["impact_model"] = fit.to_dict()
    data["required_participation_pct"] = estimate.required_participation * 100
    data["participation_pct"] = estimate.participation * 100
    if note:
        data["warnings"] = [note, *data.get("warnings", [])]
    if is_plan is not None:
        data["is_plan"] = is_plan
    return data


def _is_plan(fit: ImpactFit, snapshot: MarketSnapshot, *, quantity: float, horizon_s: float, interval_s: float,
             urgency: str, risk_aversion: float | None) -> dict[str, Any]:
    """The frontier on the inputs the order would freeze if it started now (strategy_params_for)."""
    try:
        ac = almgren_chriss_inputs(fit.model, snapshot, interval_s=interval_s, quantity=quantity, horizon_s=horizon_s)
        inputs = ISInputs(quantity=quantity, mid=snapshot.mid, horizon_s=horizon_s, interval_s=interval_s,
                          sigma=ac.sigma, eta=ac.eta, gamma=ac.gamma, epsilon=ac.epsilon)
        return is_pretrade(inputs, urgency=urgency or None, risk_aversion=risk_aversion)
    except (ImpactInputError, ValueError) as exc:
        return {"error": f"no Almgren-Chriss frontier: {exc}"}


def impact_observe_due(parent: ParentOrder, snapshot: MarketSnapshot) -> int:
    """Record the markout of this order's finished aggressive children, the mid at least one interval after
    they were sent against the mid at send. Call inside desk_atomic()."""
    now = timezone.now().timestamp()
    cutoff = now - parent.interval_seconds
    due = ChildOrder.objects.filter(parent=parent, order_type="market", filled_qty__gt=0, mid_at_send__isnull=False,
                                    impact_observation__isnull=True).select_related("proposal")
    recorded, model = 0, None
    for child in due:
        if child.created_at.timestamp() > cutoff or child.is_open or child.avg_price is None:
            continue
        before = child.proposal.market or {}
        try:
            obs = Observation(side=cast(Side, child.side), quantity=float(child.filled_qty), price=float(child.avg_price),
                              mid_before=float(child.mid_at_send), mid_after=snapshot.mid,
                              volatility_1h=float(before.get("volatility_1h", snapshot.volatility_1h)),
                              adv=float(before.get("volume_1h", snapshot.volume_1h)) * 24,
                              markout_s=max(0.0, now - child.created_at.timestamp()),
                              spread_bps=_spread_bps(before) or snapshot.spread_bps)
        except CalibrationInputError as exc:
            log.info("child %s: no impact observation: %s", child.order_link_id, exc)
            continue
        model = model or impact_fit(parent.symbol).model
        ImpactObservation.objects.create(
            symbol=parent.symbol, child=child, side=child.side, qty=child.filled_qty, avg_price=child.avg_price,
            mid_before=child.mid_at_send, mid_after=snapshot.mid, duration_s=obs.markout_s,
            volatility_1h=obs.volatility_1h, adv=obs.adv, spread_bps=obs.spread_bps,
            predicted_bps=obs.predicted_markout_bps(model), realised_bps=obs.markout_bps)
        recorded += 1
    return recorded


def _spread_bps(snapshot: dict[str, Any]) -> float | None:
    try:
        bid, ask = float(snapshot["best_bid"]), float(snapshot["best_ask"])
    except (KeyError, TypeError, ValueError):
        return None
    mid = (bid + ask) / 2
    return (ask - bid) / mid * 1e4 if mid > 0 else None


def slice_impact_bps(parent: ParentOrder, quantity: float, snapshot: MarketSnapshot) -> float | None:
    """The pre-trade impact estimate for one slice, by the symbol's calibrated model, over one decision
    interval: the horizon its observations are recorded on (impact_observe_due), whatever the order type."""
    if quantity <= 0:
        return None
    try:
        estimate = impact_fit(parent.symbol).model.estimate(quantity, duration_s=float(parent.interval_seconds),
                                                            market=snapshot)
    except (ImpactInputError, ValueError, ZeroDivisionError):
        return None
    return round(estimate.total_bps, 3)
