"""Turn a strategy's decision into an order proposal: the one mapping every advisor and the backtest use.

AGGRESSIVE and ACCELERATE cross the spread (market order, IOC); PASSIVE and DECELERATE post a limit at
our touch (GTC, never more aggressive than the touch); WAIT sends nothing. Quantities are snapped down
to the instrument's step; a slice below the instrument's minimum quantity or notional becomes a WAIT
that says so, and its size stays in the schedule's backlog for the next step.
"""

from __future__ import annotations

from decimal import Decimal

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import RiskLimits, max_order_quantity
from execdesk.domain.strategies.base import StrategyDecision

_TAKES = (Action.AGGRESSIVE, Action.ACCELERATE)
_POSTS = (Action.PASSIVE, Action.DECELERATE)


def draft_from_decision(decision: StrategyDecision, *, side: Side | str, market: MarketSnapshot,
                        instrument: Instrument, advisor: str, remaining: float, reasoning: str | None = None,
                        confidence: float = 0.6, wait_seconds: float | None = None,
                        limits: RiskLimits | None = None, interval_s: float | None = None) -> ProposalDraft:
    """With `limits` and `interval_s`, the slice is sized down to what the participation cap and the
    maximum notional allow now (the reasoning says so), rather than proposed and blocked."""
    side = Side(side)
    text = reasoning or decision.reason
    if decision.action not in _TAKES + _POSTS:
        return wait_draft(advisor, text, confidence, wait_seconds)
    touch = market.best_bid if side is Side.BUY else market.best_ask
    far = market.best_ask if side is Side.BUY else market.best_bid
    wanted = decision.quantity
    if limits is not None and interval_s is not None:
        cap = max_order_quantity(market, limits, interval_s, far)
        if wanted > cap:
            wanted = cap
            text = (f"{text} Sized down from {decision.quantity:.6g} to {float(instrument.qty(cap)):g}: the "
                    f"{limits.max_participation * 100:.0f} % participation cap and the "
                    f"{limits.max_order_notional:,.0f} max notional allow no more now.")
    qty = snap_quantity(wanted, remaining=remaining, instrument=instrument)
    if qty < instrument.min_qty or float(qty) * far < float(instrument.min_notional):
        return wait_draft(advisor, f"{text} The slice ({decision.quantity:.6g}) is below the instrument's "
                          f"minimum ({instrument.min_qty} / {instrument.min_notional} notional): it waits "
                          "in the backlog.", confidence, wait_seconds)
    if decision.action in _TAKES:
        return ProposalDraft(advisor=advisor, action=decision.action, quantity=float(qty),
                             order_type=OrderType.MARKET, limit_price=None, reasoning=text, confidence=confidence,
                             tif=TimeInForce.IOC,
                             risk_assessment=f"Pays the spread ({market.spread_bps:.2f} bps) plus impact from "
                                             "walking the book.")
    price = float(instrument.passive_price(touch, side.value))
    return ProposalDraft(advisor=advisor, action=decision.action, quantity=float(qty), order_type=OrderType.LIMIT,
                         limit_price=price, reasoning=text, confidence=confidence, tif=TimeInForce.GTC,
                         risk_assessment="May not fill if the market moves away; the unfilled size returns to "
                                         "the schedule at the next interval.")


def snap_quantity(quantity: float, *, remaining: float, instrument: Instrument) -> Decimal:
    """The quantity on the instrument's step grid, rounded down, float dust forgiven."""
    return instrument.qty(_without_float_dust(max(quantity, 0.0), remaining, float(instrument.qty_step)))


def _without_float_dust(quantity: float, remaining: float, step: float) -> float:
    """Lift a quantity a hair below a step boundary onto it before it is snapped down to the step.

    Schedule targets are float sums: 0.3 − 0.2 is 0.09999999999999998, which the step would cut to
    0.099 and leave a one-step crumb for another child order. Lifting by a millionth of a step (never
    beyond the remaining quantity, within the risk gate's 1e-9 tolerance) keeps 0.1 a 0.1.
    """
    if quantity <= 0:
        return quantity
    return min(quantity + step * 1e-6, max(quantity, remaining * (1 + 1e-10)))


def wait_draft(advisor: str, reasoning: str, confidence: float, wait_seconds: float | None) -> ProposalDraft:
    return ProposalDraft(advisor=advisor, action=Action.WAIT, quantity=0.0, order_type=None, limit_price=None,
                         reasoning=reasoning, confidence=confidence, wait_seconds=wait_seconds,
                         risk_assessment="No order: no market risk taken now; schedule risk grows.")
