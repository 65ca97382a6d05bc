"""Strict validation of Claude's answer against the order it is about: never repaired silently.

First the schema (`advisors.schema`, strict: no coercion, no unknown fields, finite numbers), then the
action's own consistency (an order action names an order type, a price exactly when it is a limit, a
time in force; WAIT and CANCEL send nothing), then the order: the quantity within the remaining
quantity and the slice caps (participation over one interval, maximum notional), the limit price within
the risk limits' band around the current mid. The only change made to a valid answer is the venue's
own quantisation (quantity down to the step, price to the tick). Anything else raises `InvalidAnswer`
with every reason found, and the caller proposes the strategy's baseline instead.

The reasoning is text to show, never an instruction: nothing in it can loosen a check.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ValidationError

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.schema import (
    DecisionAction,
    DecisionOrderType,
    DecisionTIF,
    ExecutionDecision,
    ImpactAdjustment,
)
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import max_order_quantity

_TOLERANCE = 1e-9
_ORDER_TYPES = {DecisionOrderType.MARKET: OrderType.MARKET, DecisionOrderType.LIMIT: OrderType.LIMIT,
                DecisionOrderType.POST_ONLY: OrderType.POST_ONLY}
_SENDS = (DecisionAction.AGGRESSIVE, DecisionAction.PASSIVE, DecisionAction.ACCELERATE, DecisionAction.DECELERATE)


class InvalidAnswer(ValueError):
    """The model's answer cannot become a proposal; `reasons` says every way it failed."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def parse_decision(raw: Any) -> ExecutionDecision:
    return _parse(raw, ExecutionDecision)


def parse_impact(raw: Any) -> ImpactAdjustment:
    return _parse(raw, ImpactAdjustment)


def _parse(raw: Any, model: type[BaseModel]) -> Any:
    if not isinstance(raw, dict):
        raise InvalidAnswer([f"the tool input is {type(raw).__name__}, not an object"])
    try:
        text = json.dumps(raw, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidAnswer([f"the tool input is not JSON data: {exc}"]) from None
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidAnswer([_pydantic_reason(e) for e in exc.errors()]) from None


def _pydantic_reason(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "input"
    value = error.get("input")
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{where}: {error.get('msg', 'invalid')} (got {shown})" if "input" in error else f"{where}: {error['msg']}"


def decision_draft(decision: ExecutionDecision, ctx: AdvisorContext, *, advisor: str) -> ProposalDraft:
    """The proposal a schema-valid decision makes for this order now, or InvalidAnswer."""
    reasons = _consistency(decision, ctx.rate)
    if reasons:
        raise InvalidAnswer(reasons)
    action = Action(decision.action.value)
    risk = _risk_text(decision)
    if decision.action not in _SENDS:
        return ProposalDraft(advisor=advisor, action=action, quantity=0.0, order_type=None, limit_price=None,
                             reasoning=decision.reasoning, confidence=decision.confidence, risk_assessment=risk,
                             wait_seconds=decision.wait_seconds, expected_impact_bps=decision.expected_impact_bps)
    p, m, inst = ctx.progress, ctx.market, ctx.instrument
    far = m.best_ask if p.side is Side.BUY else m.best_bid
    price_for_cap = decision.limit_price if decision.limit_price is not None else far
    cap = max_order_quantity(m, ctx.limits, ctx.interval_s, price_for_cap)
    if decision.quantity > p.remaining * (1 + _TOLERANCE):
        reasons.append(f"quantity {decision.quantity:g} exceeds the remaining {p.remaining:g}")
    if decision.quantity > cap * (1 + _TOLERANCE):
        reasons.append(f"quantity {decision.quantity:g} exceeds the slice cap {cap:.6g} "
                       f"({ctx.limits.max_participation:.0%} participation over {ctx.interval_s:g} s, "
                       f"max notional {ctx.limits.max_order_notional:,.0f})")
    if decision.action is DecisionAction.PASSIVE and decision.limit_price is not None:
        crosses = decision.limit_price >= m.best_ask if p.side is Side.BUY else decision.limit_price <= m.best_bid
        if crosses:
            touch = "ask" if p.side is Side.BUY else "bid"
            reasons.append(f"PASSIVE limit {decision.limit_price:,.2f} crosses the current best {touch} "
                           f"{far:,.2f}: it would take liquidity")
    if decision.limit_price is not None:
        dev = abs(decision.limit_price - m.mid) / m.mid * 1e4 if m.mid > 0 else math.inf
        if dev > ctx.limits.max_price_deviation_bps:
            reasons.append(f"limit price {decision.limit_price:,.2f} is {dev:.1f} bps from the mid {m.mid:,.2f} "
                           f"(band {ctx.limits.max_price_deviation_bps:g} bps)")
    qty = float(inst.qty(decision.quantity)) if not reasons else 0.0
    if not reasons and qty <= 0:
        reasons.append(f"quantity {decision.quantity:g} is below the instrument's step {inst.qty_step}")
    if reasons:
        raise InvalidAnswer(reasons)
    price = None if decision.limit_price is None else float(inst.price(decision.limit_price))
    return ProposalDraft(advisor=advisor, action=action, quantity=qty,
                         order_type=_ORDER_TYPES[decision.order_type],  # type: ignore[index]
                         limit_price=price, reasoning=decision.reasoning, confidence=decision.confidence,
                         risk_assessment=risk, tif=TimeInForce(decision.time_in_force.value),  # type: ignore[union-attr]
                         new_rate=decision.new_rate, expected_impact_bps=decision.expected_impact_bps)


def _consistency(d: ExecutionDecision, rate: float) -> list[str]:
    reasons: list[str] = []
    a = d.action.value
    if d.action in _SENDS:
        if d.quantity <= 0:
            reasons.append(f"{a} sends an order but the quantity is {d.quantity:g}")
        if d.order_type is None:
            reasons.append(f"{a} sends an order but names no order type")
        if d.time_in_force is None:
            reasons.append(f"{a} sends an order but names no time in force")
        if d.order_type is DecisionOrderType.MARKET:
            if d.limit_price is not None:
                reasons.append("a MARKET order carries no limit price")
            if d.time_in_force is DecisionTIF.GTC:
                reasons.append("a MARKET order is IOC, not GTC")
        elif d.order_type is not None and d.limit_price is None:
            reasons.append(f"a {d.order_type.value} order needs a limit price")
        if d.order_type is DecisionOrderType.POST_ONLY and d.time_in_force is DecisionTIF.IOC:
            reasons.append("a POST_ONLY order rests on the book: IOC contradicts it")
        if d.action is DecisionAction.PASSIVE and d.order_type is DecisionOrderType.MARKET:
            reasons.append("PASSIVE posts a limit: a MARKET order takes liquidity")
    else:
        if d.quantity != 0:
            reasons.append(f"{a} sends no order but the quantity is {d.quantity:g}")
        if d.order_type is not None or d.limit_price is not None:
            reasons.append(f"{a} sends no order but names an order type or price")
    rated = d.action in (DecisionAction.ACCELERATE, DecisionAction.DECELERATE)
    if rated and d.new_rate is None:
        reasons.append(f"{a} needs a new_rate")
    if not rated and d.new_rate is not None:
        reasons.append(f"new_rate is only for ACCELERATE / DECELERATE, not {a}")
    if d.action is DecisionAction.ACCELERATE and d.new_rate is not None and d.new_rate <= rate:
        reasons.append(f"ACCELERATE to a rate of {d.new_rate:g}, not above the current {rate:g}")
    if d.action is DecisionAction.DECELERATE and d.new_rate is not None and d.new_rate >= rate:
        reasons.append(f"DECELERATE to a rate of {d.new_rate:g}, not below the current {rate:g}")
    return reasons


def _risk_text(d: ExecutionDecision) -> str:
    impact = f"Expected impact {d.expected_impact_bps:+.1f} bps."
    return f"{d.risk_assessment.strip()} {impact}".strip()
