"""Transaction cost analysis. Sign convention: a positive shortfall is a cost, for buys and sells."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from execdesk.domain.orders import Side


@dataclass(frozen=True)
class FillPoint:
    qty: float
    price: float
    fee: float = 0.0


def vwap(fills: Iterable[FillPoint]) -> float | None:
    qty = notional = 0.0
    for f in fills:
        qty += f.qty
        notional += f.qty * f.price
    return notional / qty if qty > 0 else None


def slippage_bps(side: Side | str, price: float, benchmark: float) -> float:
    """Signed cost in bps of trading at `price` against `benchmark`: paying up on a buy is positive."""
    if benchmark <= 0:
        raise ValueError(f"benchmark price must be positive, got {benchmark}")
    return Side(side).sign * (price - benchmark) / benchmark * 1e4


def implementation_shortfall_bps(side: Side | str, decision_price: float, fills: Iterable[FillPoint]) -> float | None:
    """IS of the executed quantity versus the decision (arrival) price, before fees."""
    avg = vwap(fills)
    return None if avg is None else slippage_bps(side, avg, decision_price)


def fees_bps(fills: Iterable[FillPoint]) -> float | None:
    fills = list(fills)
    notional = sum(f.qty * f.price for f in fills)
    return sum(f.fee for f in fills) / notional * 1e4 if notional > 0 else None
