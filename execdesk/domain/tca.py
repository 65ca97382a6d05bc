"""Transaction cost analysis. Sign convention: a positive shortfall is a cost, for buys and sells.

:func:`tca_report` is the full analysis of a parent order — its implementation shortfall ``is_bps`` is
the one IS every surface shows (order page, blotter, review, API, CLI, backtest). The small helpers
(``vwap``, ``slippage_bps``, ``fill_slippage_bps``, ``fees_bps``) compute parts of it. Every definition,
with worked examples, is in docs/tca.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from execdesk.domain.market import Trade
from execdesk.domain.orders import Side
from execdesk.domain.tca_fills import (
    BPS,
    MAKER,
    MARKOUT_HORIZONS_S,
    TAKER,
    CompletionCost,
    TCAFill,
    completion_cost,
    markout_bps,
    prints_twap,
    prints_vwap,
    spread_captured_bps,
    window_prints,
)

__all__ = ["BPS", "MAKER", "TAKER", "CompletionCost", "ExecutionRecord", "FillPoint", "TCAFill", "TCAInput",
           "TCAInputError", "TCAReport", "completion_cost", "fees_bps", "fill_slippage_bps",
           "market_twap_counterfactual_bps", "slippage_bps", "spread_captured_bps", "tca_report", "vwap"]


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


def fill_slippage_bps(side: Side | str, decision_price: float, fills: Iterable[FillPoint]) -> float | None:
    """The average fill price against the decision price, before fees and ignoring the unfilled part: the
    report's ``decision_slippage_bps``. Not the implementation shortfall (:func:`tca_report`'s ``is_bps``)."""
    avg = vwap(fills)
    return None if avg is None else slippage_bps(side, avg, decision_price)


def fees_bps(fills: Iterable[FillPoint]) -> float | None:
    fills = list(fills)
    notional = sum(f.qty * f.price for f in fills)
    return sum(f.fee for f in fills) / notional * 1e4 if notional > 0 else None


# ---------------------------------------------------------------------------------------------------
# The full report: one function for the desk, the CLI and the backtest. Definitions in docs/tca.md.
# ---------------------------------------------------------------------------------------------------

# a parent counts as complete when its fills reach the target to within floating-point noise
_COMPLETE_RTOL = 1e-9


class TCAInputError(ValueError):
    """An execution record that cannot be analysed (non-positive prices, overfills, bad timestamps...)."""


@dataclass(frozen=True)
class ExecutionRecord:
    """Everything TCA needs about one parent order.

    * ``decision_price``: the benchmark of implementation shortfall, the price when the order was
      decided (the desk records the mid at parent creation);
    * ``arrival_mid``: the mid when execution started (defaults to the decision price);
    * ``final_mid``: the mid when execution stopped, marks the unfilled part (opportunity cost);
    * ``completion``: what finishing the unfilled part would cost per unit (half spread, taker fee,
      impact; :func:`completion_cost`); None charges nothing beyond the opportunity cost;
    * ``market_trades``: the market's prints over the execution window, *excluding ours*; ``None``
      when unknown (then VWAP slippage and participation are None unless ``market_vwap`` /
      ``market_volume`` are given, e.g. from klines' turnover and volume); prints outside
      ``[started_at, ended_at]`` are ignored;
    * ``ended_at``: when execution stopped; defaults to the last fill (or the start without fills).
    """

    side: Side
    quantity: float
    decision_price: float
    started_at: float
    deadline: float
    final_mid: float
    fills: tuple[TCAFill, ...] = ()
    arrival_mid: float | None = None
    ended_at: float | None = None
    market_trades: tuple[Trade, ...] | None = None
    market_volume: float | None = None
    market_vwap: float | None = None
    completion: CompletionCost | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "side", Side(self.side))
        except ValueError:
            raise TCAInputError(f"side must be 'buy' or 'sell', got {self.side!r}") from None
        object.__setattr__(self, "fills", tuple(self.fills))
        if self.market_trades is not None:
            object.__setattr__(self, "market_trades", tuple(self.market_trades))
        _positive(quantity=self.quantity, decision_price=self.decision_price, final_mid=self.final_mid)
        if self.arrival_mid is not None:
            _positive(arrival_mid=self.arrival_mid)
        _finite(started_at=self.started_at, deadline=self.deadline)
        if self.deadline < self.started_at:
            raise TCAInputError(f"deadline {self.deadline!r} is before started_at {self.started_at!r}")
        if self.ended_at is not None:
            _finite(ended_at=self.ended_at)
            if self.ended_at < self.started_at:
                raise TCAInputError(f"ended_at {self.ended_at!r} is before started_at {self.started_at!r}")
        for i, f in enumerate(self.fills):
            _positive(**{f"fills[{i}].qty": f.qty, f"fills[{i}].price": f.price})
            _finite(**{f"fills[{i}].ts": f.ts, f"fills[{i}].fee": f.fee})
            if f.liquidity not in (MAKER, TAKER):
                raise TCAInputError(f"fills[{i}].liquidity must be 'maker' or 'taker', got {f.liquidity!r}")
            for name in ("mid", "mid_1s", "mid_10s", "mid_60s"):
                if getattr(f, name) is not None:
                    _positive(**{f"fills[{i}].{name}": getattr(f, name)})
        filled = math.fsum(f.qty for f in self.fills)
        if filled > self.quantity * (1 + _COMPLETE_RTOL):
            raise TCAInputError(f"fills total {filled!r}, more than the order's quantity {self.quantity!r}")
        for i, t in enumerate(self.market_trades or ()):
            _positive(**{f"market_trades[{i}].price": t.price})
            _finite(**{f"market_trades[{i}].ts": t.ts})
            if not (math.isfinite(t.qty) and t.qty >= 0):
                raise TCAInputError(f"market_trades[{i}].qty must be >= 0 and finite, got {t.qty!r}")
        volume = self.market_volume
        if volume is not None and not (math.isfinite(volume) and volume >= 0):
            raise TCAInputError(f"market_volume must be >= 0 and finite, got {volume!r}")
        if self.market_vwap is not None:
            _positive(market_vwap=self.market_vwap)
        if self.completion is not None:
            c = self.completion
            _finite(**{"completion.half_spread_bps": c.half_spread_bps, "completion.fee_bps": c.fee_bps,
                       "completion.impact_bps": c.impact_bps})
        for name in ("quantity", "decision_price", "final_mid", "started_at", "deadline", "arrival_mid",
                     "ended_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))  # ints are welcome; the report is all floats

    @property
    def end(self) -> float:
        if self.ended_at is not None:
            return self.ended_at
        return max((f.ts for f in self.fills), default=self.started_at)


TCAInput = ExecutionRecord


@dataclass(frozen=True)
class TCAReport:
    """TCA of one parent order. bps are positive for a cost, for buys and sells alike; a figure that is
    undefined (no fills, no market data) is None. See docs/tca.md for every definition."""

    side: str
    quantity: float
    filled_qty: float
    avg_price: float | None
    decision_price: float
    arrival_mid: float
    final_mid: float
    is_bps: float
    is_delay_bps: float
    is_timing_bps: float
    is_execution_bps: float
    is_fees_bps: float
    is_opportunity_bps: float
    is_completion_bps: float
    completion_cost_bps: float | None  # per unfilled unit, bps of the final mid; None when not charged
    completion_half_spread_bps: float | None
    completion_fee_bps: float | None
    completion_impact_bps: float | None
    completion_model: str
    decision_slippage_bps: float | None
    arrival_slippage_bps: float | None
    market_vwap: float | None
    vwap_slippage_bps: float | None
    market_twap: float | None
    twap_slippage_bps: float | None
    market_volume: float | None
    participation: float | None
    fill_rate: float
    passive_share: float | None
    spread_captured_bps: float | None
    markout_1s_bps: float | None
    markout_10s_bps: float | None
    markout_60s_bps: float | None
    fees_quote: float
    fees_bps: float | None
    maker_fees_bps: float | None
    taker_fees_bps: float | None
    duration_s: float
    deadline_s: float
    completed: bool
    finished_before_deadline: bool
    deadline_margin_s: float  # deadline - end: positive when early, negative when late
    twap_is_bps: float | None = None
    vs_twap_bps: float | None = None
    twap_method: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, float):
                digits = 4 if key.endswith("_bps") else 3 if key.endswith("_s") else 8
                value = round(value, digits)
            out[key] = value
        return out


def tca_report(record: ExecutionRecord, *, twap_is_bps: float | None = None,
               twap_method: str = "") -> TCAReport:
    """The transaction cost analysis of one execution.

    ``twap_is_bps`` is the implementation shortfall the TWAP counterfactual achieved on the same order:
    in the simulator and on replay, TWAP run on the same market path; live, an estimate from
    :func:`market_twap_counterfactual_bps`. ``twap_method`` says which, for display.
    """
    sign = record.side.sign
    x = record.quantity
    decision = record.decision_price
    arrival = record.arrival_mid if record.arrival_mid is not None else decision
    fills = record.fills
    filled = math.fsum(f.qty for f in fills)
    notional = math.fsum(f.qty * f.price for f in fills)
    fees = math.fsum(f.fee for f in fills)
    avg = notional / filled if filled > 0 else None
    passive_qty = math.fsum(f.qty for f in fills if f.liquidity == MAKER)
    paper = x * decision

    # Perold's shortfall against a paper portfolio of X at P_d, split where each part of the cost arose;
    # a fill without a recorded mid has its whole move from arrival counted as execution.
    unfilled = max(0.0, x - filled)
    delay = sign * filled * (arrival - decision) / paper * BPS
    timing = sign * math.fsum(f.qty * ((f.mid if f.mid is not None else arrival) - arrival) for f in fills) / paper * BPS
    execution = sign * math.fsum(f.qty * (f.price - (f.mid if f.mid is not None else arrival)) for f in fills) / paper * BPS
    fee_part = fees / paper * BPS
    opportunity = sign * unfilled * (record.final_mid - decision) / paper * BPS
    c = record.completion
    per_unit = None if c is None else c.total_bps
    completion = 0.0 if per_unit is None else unfilled * record.final_mid * per_unit / paper

    end = record.end
    prints = window_prints(record.market_trades, record.started_at, end) if record.market_trades is not None else None
    vwap_px, volume = _market_window(record, prints)
    twap_px = None if prints is None else prints_twap(prints, end)
    if twap_is_bps is not None and not math.isfinite(twap_is_bps):
        raise TCAInputError(f"twap_is_bps must be finite, got {twap_is_bps!r}")
    is_bps = delay + timing + execution + fee_part + opportunity + completion
    completed = filled >= x * (1 - _COMPLETE_RTOL)
    markouts = {h: markout_bps(record.side, fills, h) for h in MARKOUT_HORIZONS_S}
    return TCAReport(
        side=record.side.value, quantity=x, filled_qty=filled, avg_price=avg, decision_price=decision,
        arrival_mid=arrival, final_mid=record.final_mid,
        is_bps=is_bps, is_delay_bps=delay, is_timing_bps=timing, is_execution_bps=execution,
        is_fees_bps=fee_part, is_opportunity_bps=opportunity, is_completion_bps=completion,
        completion_cost_bps=per_unit,
        completion_half_spread_bps=None if c is None else c.half_spread_bps,
        completion_fee_bps=None if c is None else c.fee_bps,
        completion_impact_bps=None if c is None else c.impact_bps,
        completion_model="" if c is None else c.model,
        decision_slippage_bps=None if avg is None else slippage_bps(record.side, avg, decision),
        arrival_slippage_bps=None if avg is None else slippage_bps(record.side, avg, arrival),
        market_vwap=vwap_px,
        vwap_slippage_bps=None if avg is None or vwap_px is None else slippage_bps(record.side, avg, vwap_px),
        market_twap=twap_px,
        twap_slippage_bps=None if avg is None or twap_px is None else slippage_bps(record.side, avg, twap_px),
        market_volume=volume,
        participation=None if volume is None or filled + volume <= 0 else filled / (filled + volume),
        fill_rate=filled / x,
        passive_share=None if filled <= 0 else passive_qty / filled,
        spread_captured_bps=spread_captured_bps(record.side, fills),
        markout_1s_bps=markouts[1], markout_10s_bps=markouts[10], markout_60s_bps=markouts[60],
        fees_quote=fees,
        fees_bps=None if notional <= 0 else fees / notional * BPS,
        maker_fees_bps=_fee_rate_bps(fills, MAKER),
        taker_fees_bps=_fee_rate_bps(fills, TAKER),
        duration_s=end - record.started_at,
        deadline_s=record.deadline - record.started_at,
        completed=completed,
        finished_before_deadline=completed and end <= record.deadline,
        deadline_margin_s=record.deadline - end,
        twap_is_bps=twap_is_bps,
        vs_twap_bps=None if twap_is_bps is None else is_bps - twap_is_bps,
        twap_method=twap_method,
    )


def market_twap_counterfactual_bps(side: Side | str, decision_price: float, mids: Iterable[float], *,
                                   half_spread_bps: float = 0.0, fees_bps: float = 0.0) -> float:
    """Estimated IS of a TWAP of the same order, live: TWAP's slices would have traded at the market's
    mids sampled at even times over the window, so its shortfall is the mid TWAP's slippage against the
    decision price, plus the half spread and fee rate it would have paid to cross. It ignores TWAP's own
    impact, so it flatters TWAP a little."""
    values = [float(m) for m in mids]
    if not values:
        raise TCAInputError("mids is empty: no market TWAP over the window")
    _positive(decision_price=decision_price, **{f"mids[{i}]": m for i, m in enumerate(values)})
    _finite(half_spread_bps=half_spread_bps, fees_bps=fees_bps)
    return slippage_bps(side, math.fsum(values) / len(values), decision_price) + half_spread_bps + fees_bps


def _market_window(record: ExecutionRecord, prints: list[Trade] | None) -> tuple[float | None, float | None]:
    """Market VWAP and volume over the execution window, ours excluded."""
    vwap_px, volume = record.market_vwap, record.market_volume
    if prints is not None:
        if volume is None:
            volume = math.fsum(t.qty for t in prints)
        if vwap_px is None:
            vwap_px = prints_vwap(prints)
    return vwap_px, volume


def _fee_rate_bps(fills: Sequence[TCAFill], liquidity: str) -> float | None:
    mine = [f for f in fills if f.liquidity == liquidity]
    notional = math.fsum(f.qty * f.price for f in mine)
    return None if notional <= 0 else math.fsum(f.fee for f in mine) / notional * BPS


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise TCAInputError(f"{name} must be > 0 and finite, got {value!r}")


def _finite(**values: float) -> None:
    for name, value in values.items():
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise TCAInputError(f"{name} must be finite, got {value!r}")
