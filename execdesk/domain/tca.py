"""Transaction cost analysis. Sign convention: a positive shortfall is a cost, for buys and sells.

The small helpers (``vwap``, ``slippage_bps``, ``implementation_shortfall_bps``, ``fees_bps``) serve the
desk's live progress; :func:`tca_report` is the full analysis of a parent order, shared by the desk, the
``execute`` command and the backtest. Every definition, with worked examples, is in docs/tca.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from execdesk.domain.market import Trade
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


# ---------------------------------------------------------------------------------------------------
# The full report: one function for the desk, the CLI and the backtest. Definitions in docs/tca.md.
# ---------------------------------------------------------------------------------------------------

BPS = 1e4
MAKER = "maker"
TAKER = "taker"
# a parent counts as complete when its fills reach the target to within floating-point noise
_COMPLETE_RTOL = 1e-9


class TCAInputError(ValueError):
    """An execution record that cannot be analysed (non-positive prices, overfills, bad timestamps...)."""


@dataclass(frozen=True)
class TCAFill:
    """One of our fills. ``fee`` is in quote currency as the venue charged it (a rebate is negative);
    ``mid`` is the venue's mid just before the fill, needed for the spread a passive fill captured."""

    qty: float
    price: float
    ts: float
    fee: float = 0.0
    liquidity: str = TAKER
    mid: float | None = None


@dataclass(frozen=True)
class ExecutionRecord:
    """Everything TCA needs about one parent order.

    * ``decision_price``: the benchmark of implementation shortfall, the price when the order was
      decided (the desk records the mid at parent creation);
    * ``arrival_mid``: the mid when execution started (defaults to the decision price);
    * ``final_mid``: the mid when execution stopped, marks the unfilled part (opportunity cost);
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
            if f.mid is not None:
                _positive(**{f"fills[{i}].mid": f.mid})
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
    is_execution_bps: float
    is_fees_bps: float
    is_opportunity_bps: float
    decision_slippage_bps: float | None
    arrival_slippage_bps: float | None
    market_vwap: float | None
    vwap_slippage_bps: float | None
    market_volume: float | None
    participation: float | None
    fill_rate: float
    passive_share: float | None
    spread_captured_bps: float | None
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

    unfilled = max(0.0, x - filled)
    execution = sign * (notional - filled * decision) / paper * BPS
    opportunity = sign * unfilled * (record.final_mid - decision) / paper * BPS
    fee_part = fees / paper * BPS

    vwap_px, volume = _market_window(record)
    if twap_is_bps is not None and not math.isfinite(twap_is_bps):
        raise TCAInputError(f"twap_is_bps must be finite, got {twap_is_bps!r}")
    is_bps = execution + fee_part + opportunity
    end = record.end
    completed = filled >= x * (1 - _COMPLETE_RTOL)
    return TCAReport(
        side=record.side.value, quantity=x, filled_qty=filled, avg_price=avg, decision_price=decision,
        arrival_mid=arrival, final_mid=record.final_mid,
        is_bps=is_bps, is_execution_bps=execution, is_fees_bps=fee_part, is_opportunity_bps=opportunity,
        decision_slippage_bps=None if avg is None else slippage_bps(record.side, avg, decision),
        arrival_slippage_bps=None if avg is None else slippage_bps(record.side, avg, arrival),
        market_vwap=vwap_px,
        vwap_slippage_bps=None if avg is None or vwap_px is None else slippage_bps(record.side, avg, vwap_px),
        market_volume=volume,
        participation=None if volume is None or filled + volume <= 0 else filled / (filled + volume),
        fill_rate=filled / x,
        passive_share=None if filled <= 0 else passive_qty / filled,
        spread_captured_bps=spread_captured_bps(record.side, fills),
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


def spread_captured_bps(side: Side | str, fills: Iterable[TCAFill]) -> float | None:
    """How far inside the mid our passive (maker) fills traded, as a saving in bps of the mid,
    quantity-weighted: ``s (mid - price) / mid``. Positive when a buy filled below the mid or a sell
    above it. Fills without a recorded mid are left out; None when no passive fill has one."""
    sign = Side(side).sign
    passive = [(f.qty, f.price, f.mid) for f in fills if f.liquidity == MAKER and f.mid is not None]
    qty = math.fsum(q for q, _, _ in passive)
    if qty <= 0:
        return None
    return math.fsum(q * sign * (mid - price) / mid for q, price, mid in passive) / qty * BPS


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


def _market_window(record: ExecutionRecord) -> tuple[float | None, float | None]:
    """Market VWAP and volume over the execution window, ours excluded."""
    vwap_px, volume = record.market_vwap, record.market_volume
    if record.market_trades is not None:
        start, end = record.started_at, record.end
        window = [t for t in record.market_trades if start <= t.ts <= end]
        qty = math.fsum(t.qty for t in window)
        if volume is None:
            volume = qty
        if vwap_px is None and qty > 0:
            vwap_px = math.fsum(t.qty * t.price for t in window) / qty
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
