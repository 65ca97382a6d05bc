"""Per-fill evidence for transaction cost analysis: our fills with the mid at the fill and after it
(markouts), the market's own benchmarks over the window (VWAP, interval TWAP), and the cost of
completing an unfilled remainder. Definitions and worked examples: docs/tca.md.

Sign convention as everywhere in TCA: a positive figure is a cost, for buys and sells alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from execdesk.domain.impact import AlmgrenChrissImpact, ImpactModel
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import Side

BPS = 1e4
MAKER = "maker"
TAKER = "taker"
MARKOUT_HORIZONS_S = (1, 10, 60)  # seconds after each fill at which the mid is recorded
# The impact model that prices finishing an unfilled remainder wherever TCA runs (desk, CLI, backtest); each
# caller takes it as a parameter, so a recalibrated or different model can take its place.
DEFAULT_COMPLETION_MODEL: ImpactModel = AlmgrenChrissImpact()


@dataclass(frozen=True)
class TCAFill:
    """One of our fills. ``fee`` is in quote currency as the venue charged it (a rebate is negative);
    ``mid`` is the market's mid at the fill (the last one observed before it: at most one market step
    earlier, or the mid when the order was sent for a fill on arrival); ``mid_1s``, ``mid_10s`` and
    ``mid_60s`` are the first mids observed at or after 1, 10 and 60 seconds after the fill (None until
    the market has passed that time, or when unknown)."""

    qty: float
    price: float
    ts: float
    fee: float = 0.0
    liquidity: str = TAKER
    mid: float | None = None
    mid_1s: float | None = None
    mid_10s: float | None = None
    mid_60s: float | None = None

    def mid_after(self, horizon_s: int) -> float | None:
        return {1: self.mid_1s, 10: self.mid_10s, 60: self.mid_60s}[horizon_s]


@dataclass(frozen=True)
class CompletionCost:
    """What finishing the unfilled remainder at the end would cost per unit, in bps of the final mid:
    crossing half the spread, paying the taker fee, and the impact model's estimate for trading the
    remainder in ``duration_s`` (one decision interval)."""

    half_spread_bps: float
    fee_bps: float
    impact_bps: float
    model: str = ""
    note: str = ""

    @property
    def total_bps(self) -> float:
        return self.half_spread_bps + self.fee_bps + self.impact_bps


def completion_cost(remaining: float, *, market: MarketSnapshot, model: ImpactModel, fee_bps: float,
                    duration_s: float) -> CompletionCost:
    """The completion cost of ``remaining`` units at ``market``: half its spread + ``fee_bps`` (the taker
    rate) + ``model``'s impact of trading them in ``duration_s``. An impact the model cannot estimate
    (no volume, no mid) counts 0 and says why in ``note``."""
    half_spread = max(market.spread_bps, 0.0) / 2 if math.isfinite(market.spread_bps) else 0.0
    if remaining <= 0:
        return CompletionCost(half_spread, fee_bps, 0.0, model=model.name)
    try:
        impact = model.estimate(remaining, duration_s=max(duration_s, 1.0), market=market).total_bps
    except ValueError as exc:
        return CompletionCost(half_spread, fee_bps, 0.0, model=model.name, note=f"impact not estimated: {exc}")
    return CompletionCost(half_spread, fee_bps, impact if math.isfinite(impact) else 0.0, model=model.name)


def spread_captured_bps(side: Side | str, fills: Iterable[TCAFill]) -> float | None:
    """How far inside the mid at the fill our passive (maker) fills traded, as a saving in bps of that mid,
    quantity-weighted: ``s (mid - price) / mid``. Fills without a recorded mid are left out; None when no
    passive fill has one."""
    sign = Side(side).sign
    passive = [(f.qty, f.price, f.mid) for f in fills if f.liquidity == MAKER and f.mid is not None]
    qty = math.fsum(q for q, _, _ in passive)
    if qty <= 0:
        return None
    return math.fsum(q * sign * (mid - price) / mid for q, price, mid in passive) / qty * BPS


def markout_bps(side: Side | str, fills: Iterable[TCAFill], horizon_s: int) -> float | None:
    """Quantity-weighted ``s (price - mid_h) / mid_h`` over the fills whose mid ``horizon_s`` after the fill
    is known: positive when the market moved against the fill afterwards (we bought above where the mid
    went — adverse selection plus the spread paid). None when no fill has that mid yet."""
    sign = Side(side).sign
    known = [(f.qty, f.price, f.mid_after(horizon_s)) for f in fills]
    rows = [(q, p, m) for q, p, m in known if m is not None]
    qty = math.fsum(q for q, _, _ in rows)
    if qty <= 0:
        return None
    return math.fsum(q * sign * (p - m) / m for q, p, m in rows) / qty * BPS


def window_prints(trades: Sequence[Trade], start: float, end: float) -> list[Trade]:
    return sorted((t for t in trades if start <= t.ts <= end), key=lambda t: t.ts)


def prints_vwap(prints: Sequence[Trade]) -> float | None:
    qty = math.fsum(t.qty for t in prints)
    return None if qty <= 0 else math.fsum(t.qty * t.price for t in prints) / qty


def prints_twap(prints: Sequence[Trade], end: float) -> float | None:
    """Time-weighted average of the last print's price from the first print in the window to ``end``
    (each price holds until the next print); the plain mean of the prices when no time passes."""
    if not prints:
        return None
    span = end - prints[0].ts
    if span <= 0:
        return math.fsum(t.price for t in prints) / len(prints)
    total = 0.0
    for here, nxt in zip(prints, [*prints[1:], None], strict=True):
        until = end if nxt is None else nxt.ts
        total += here.price * max(until - here.ts, 0.0)
    return total / span
