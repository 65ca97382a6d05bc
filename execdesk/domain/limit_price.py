"""The parent order's limit price: "don't buy above / sell below" (pure Python).

Every child order of an order with a limit is priced so that no fill can be worse than it:

* a market order becomes a marketable limit IOC at the limit, or at the risk gate's price band if that is
  nearer (it sweeps the book up to there and no further);
* a limit or post-only order priced beyond the limit is re-priced at the limit;
* when the far touch is already beyond the limit (a buy with the ask above it), nothing could be crossed at
  an acceptable price: the step waits, and the slice stays in the backlog.

`within_parent_limit` does this to every draft, whoever proposed it (desk and backtest, any advisor); the
risk gate's `parent_limit` check refuses whatever still breaks the limit (a trader's override).
"""

from __future__ import annotations

import math
from dataclasses import replace

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.proposals import Action, ProposalDraft


def limit_price_input(value: object) -> float | None:
    """The limit from `value` (None or "" for none): a positive finite price."""
    if value is None or value == "":
        return None
    try:
        price = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise ValueError(f"limit_price must be a positive price, got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(price) and price > 0):
        raise ValueError(f"limit_price must be a positive price, got {value!r}")
    return price


def beyond_limit(side: Side | str, price: float, limit: float) -> bool:
    """Whether `price` is worse for the order than its limit: above it for a buy, below it for a sell."""
    return price > limit if Side(side) is Side.BUY else price < limit


def within_parent_limit(draft: ProposalDraft, *, side: Side | str, limit: float | None, market: MarketSnapshot,
                        instrument: Instrument, band_bps: float) -> ProposalDraft:
    """The draft priced so that none of its fills can be beyond the parent's limit (see the module)."""
    if limit is None or not draft.action.sends_order or draft.order_type is None:
        return draft
    side = Side(side)
    word = "above" if side is Side.BUY else "below"
    if draft.order_type is OrderType.MARKET:
        far = market.best_ask if side is Side.BUY else market.best_bid
        if beyond_limit(side, far, limit):
            return ProposalDraft(
                advisor=draft.advisor, action=Action.WAIT, quantity=0.0, order_type=None, limit_price=None,
                reasoning=(f"{draft.reasoning} The {'ask' if side is Side.BUY else 'bid'} {far:,.2f} is {word} "
                           f"the order's limit {limit:,.2f}: nothing is sent until the market comes back; the "
                           "slice stays in the backlog."),
                confidence=draft.confidence, wait_seconds=draft.wait_seconds, is_fallback=draft.is_fallback,
                fallback_reason=draft.fallback_reason,
                risk_assessment="No order: the parent's limit price keeps it out of this market.")
        edge = market.mid * (1 + band_bps / 1e4) if side is Side.BUY else market.mid * (1 - band_bps / 1e4)
        bound = min(limit, edge) if side is Side.BUY else max(limit, edge)
        price = float(instrument.passive_price(bound, side.value))  # rounded towards the limit's side
        return replace(draft.with_order(quantity=draft.quantity, order_type=OrderType.LIMIT, limit_price=price,
                                        tif=TimeInForce.IOC),
                       reasoning=(f"{draft.reasoning} Sent as a limit IOC at {price:,.2f} rather than a market "
                                  f"order: the order's limit is {limit:,.2f}, and no fill may be {word} it."))
    if draft.limit_price is not None and beyond_limit(side, draft.limit_price, limit):
        price = float(instrument.passive_price(limit, side.value))
        return replace(draft, limit_price=price,
                       reasoning=f"{draft.reasoning} Priced at the order's limit {price:,.2f} (was {draft.limit_price:,.2f}).")
    return draft
