"""The risk gate: every proposal and every human override passes here before it can become an order.

Each check yields a typed verdict with the figures that decided it. Hard verdicts block; soft ones
warn. Defaults are the seed chapter's safety limits. The desk-wide trading state (ACTIVE / REDUCING /
HALTED) is checked here too, so a halt or a wind-down reaches advisor proposals and human overrides alike.

A draft whose quantity or price is not a finite number fails a hard check (`finite_numbers`) and is
never evaluated further: no NaN can slip through a comparison that happens to be false.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderType, Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.strategies.base import quantity_at_participation

HARD = "hard"
SOFT = "soft"


class TradingState(StrEnum):
    """The desk-wide switch (as NautilusTrader's risk engine has it)."""

    ACTIVE = "ACTIVE"  # every order the other checks allow
    REDUCING = "REDUCING"  # only orders that bring the desk's net position in the symbol towards zero
    HALTED = "HALTED"  # no order at all


@dataclass(frozen=True)
class RiskLimits:
    max_participation: float = 0.10  # our share of the volume expected over one decision interval
    # quote currency per child order; above the desk's four-eyes notional (250,000), so four-eyes can fire
    max_order_notional: float = 500_000.0
    min_order_interval_s: float = 5.0
    max_spread_bps: float = 20.0  # widest spread an aggressive order may cross
    max_price_deviation_bps: float = 100.0  # limit price band around the mid (hard); vs the benchmark (soft)
    is_alert_bps: float = 50.0
    max_volatility_1h: float = 0.05  # 5 % hourly volatility stops trading
    llm_timeout_s: float = 10.0
    max_orders_per_minute: int = 20


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    severity: str  # HARD or SOFT: what a failure means
    message: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == HARD

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "severity": self.severity,
                "message": self.message, "figures": self.figures}


@dataclass(frozen=True)
class RiskVerdict:
    checks: tuple[Check, ...]

    @property
    def blocked(self) -> bool:
        return any(c.blocks for c in self.checks)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed and c.severity == SOFT)

    @property
    def summary(self) -> str:
        failed = [c for c in self.checks if not c.passed]
        if not failed:
            return f"all {len(self.checks)} checks passed"
        return "; ".join(f"{c.severity.upper()} {c.code}: {c.message}" for c in failed)

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.checks]


def _figure(value: Any) -> Any:
    # figures are stored as JSON: NaN and infinities (which JSON, and PostgreSQL's jsonb, refuse) as text
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else repr(value)
    return value


def _check(code: str, ok: bool, severity: str, message: str, **figures: Any) -> Check:
    return Check(code, ok, severity, message, {k: _figure(v) for k, v in figures.items()})


def evaluate(draft: ProposalDraft, *, progress: OrderProgress, market: MarketSnapshot,
             instrument: Instrument, limits: RiskLimits, interval_s: float,
             is_bps: float | None = None, trading_state: TradingState = TradingState.ACTIVE,
             net_position: float = 0.0) -> RiskVerdict:
    """Run every check that applies to the draft; orderless actions only get the market checks.

    `trading_state` is the desk's; `net_position` the desk's signed net position in the symbol (base
    quantity, + long / − short), which REDUCING needs to tell a reducing order from one that adds.
    """
    checks: list[Check] = [_volatility(market, limits)]
    if is_bps is not None:
        checks.append(_check("is_alert", is_bps <= limits.is_alert_bps, SOFT,
                             f"implementation shortfall {is_bps:.1f} bps vs alert at {limits.is_alert_bps:.0f} bps",
                             is_bps=is_bps, limit_bps=limits.is_alert_bps))
    if not draft.action.sends_order:
        return RiskVerdict(tuple(checks))
    checks.append(_trading_state(trading_state, progress, draft.quantity, net_position))
    bad = {name: value for name, value in (("quantity", draft.quantity), ("limit_price", draft.limit_price))
           if value is not None and not _finite(value)}
    if bad:
        checks.append(_check("finite_numbers", False, HARD,
                             "; ".join(f"{name} {value!r} is not a finite number" for name, value in bad.items()),
                             **bad))
        return RiskVerdict(tuple(checks))
    price = draft.limit_price if draft.limit_price is not None else (
        market.best_ask if progress.side == "buy" else market.best_bid)
    qty = draft.quantity
    notional = qty * price
    checks += [
        _check("positive_quantity", qty > 0, HARD, f"quantity {qty:g} must be positive", qty=qty),
        _check("within_remaining", qty <= progress.remaining * (1 + 1e-9), HARD,
               f"quantity {qty:g} vs remaining {progress.remaining:g}", qty=qty, remaining=progress.remaining),
        _instrument(instrument, qty, price),
        _check("max_order_notional", notional <= limits.max_order_notional, HARD,
               f"notional {notional:,.0f} vs max {limits.max_order_notional:,.0f}",
               notional=notional, limit=limits.max_order_notional),
        _participation(qty, market, limits, interval_s),
        _interval(progress, limits),
        _check("orders_per_minute", progress.orders_last_minute < limits.max_orders_per_minute, HARD,
               f"{progress.orders_last_minute} orders in the last minute vs max {limits.max_orders_per_minute}",
               orders=progress.orders_last_minute, limit=limits.max_orders_per_minute),
    ]
    if draft.order_type == OrderType.MARKET or _crosses(draft, progress, market):
        checks.append(_check("max_spread", market.spread_bps <= limits.max_spread_bps, HARD,
                             f"spread {market.spread_bps:.2f} bps vs max {limits.max_spread_bps:.0f} bps to cross",
                             spread_bps=market.spread_bps, limit_bps=limits.max_spread_bps))
        checks.append(_check("fresh_market", not market.stale, HARD,
                             "market data is stale: aggressive orders refused" if market.stale
                             else "market data is fresh", stale=market.stale))
    checks.append(_benchmark(price, progress, limits, market_order=draft.limit_price is None))
    if progress.limit_price is not None:
        checks.append(_parent_limit(draft, progress))
    if draft.limit_price is not None:
        dev = abs(draft.limit_price - market.mid) / market.mid * 1e4 if _positive(market.mid) else math.inf
        checks.append(_check("price_band", dev <= limits.max_price_deviation_bps, HARD,
                             f"limit {draft.limit_price:,.2f} is {dev:.1f} bps from mid {market.mid:,.2f} "
                             f"(band {limits.max_price_deviation_bps:.0f} bps)",
                             deviation_bps=dev, limit_bps=limits.max_price_deviation_bps))
    elif draft.order_type in (OrderType.LIMIT, OrderType.POST_ONLY):
        checks.append(_check("limit_price", False, HARD, "a limit order needs a limit price"))
    if draft.order_type is None:
        checks.append(_check("order_type", False, HARD, f"{draft.action} sends an order but names no order type",
                             action=str(draft.action)))
    return RiskVerdict(tuple(checks))


def _parent_limit(draft: ProposalDraft, progress: OrderProgress) -> Check:
    """No fill of an order with a limit price may be beyond it: a market order could be, a limit beyond it is."""
    limit, buy = progress.limit_price, progress.side == "buy"
    assert limit is not None  # the caller checks
    word = "above" if buy else "below"
    if draft.order_type == OrderType.MARKET or draft.limit_price is None:
        ok, message = False, (f"a market order could fill {word} the order's limit {limit:,.2f}: send a limit at "
                              f"or {'below' if buy else 'above'} it")
    else:
        ok = draft.limit_price <= limit if buy else draft.limit_price >= limit
        message = f"limit {draft.limit_price:,.2f} vs the order's limit {limit:,.2f} ({'max' if buy else 'min'})"
    return _check("parent_limit", ok, HARD, message, limit_price=limit, price=draft.limit_price)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(value)
    except TypeError:  # not a number at all
        return False


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _trading_state(state: TradingState, progress: OrderProgress, qty: float, net_position: float) -> Check:
    figures: dict[str, Any] = {"state": state.value}
    if state is TradingState.HALTED:
        return _check("trading_state", False, HARD, "trading is HALTED desk-wide: no order may be sent", **figures)
    if state is TradingState.ACTIVE:
        return _check("trading_state", True, HARD, "trading is ACTIVE", **figures)
    signed = qty * Side(progress.side).sign
    after = net_position + signed
    # Reducing means towards zero without crossing it: a buy against a short no larger than the short.
    ok = (_finite(signed) and _finite(net_position) and signed != 0 and net_position * signed < 0
          and abs(signed) <= abs(net_position))
    verdict = ("reduces it" if ok else "would not reduce it")
    return _check("trading_state", ok, HARD,
                  f"trading is REDUCING: only orders that reduce the desk's net position in {progress.symbol} are "
                  f"allowed; a {progress.side} of {qty:g} against a net position of {net_position:+g} {verdict} "
                  f"(to {after:+g})",
                  state=state.value, net_position=net_position, signed_qty=signed, position_after=after)


def _benchmark(price: float, progress: OrderProgress, limits: RiskLimits, *, market_order: bool) -> Check:
    """The order's price (its limit, or the touch it would take) vs the decision price: a soft warning that
    the order trades far from its benchmark, whichever way."""
    benchmark = progress.decision_price
    dev = abs(price - benchmark) / benchmark * 1e4 if _positive(benchmark) and _finite(price) else math.inf
    what = "touch" if market_order else "limit"
    return _check("benchmark_deviation", dev <= limits.max_price_deviation_bps, SOFT,
                  f"{what} {price:,.2f} is {dev:.1f} bps from the decision price {benchmark:,.2f} "
                  f"(max {limits.max_price_deviation_bps:.0f} bps)",
                  price=price, decision_price=benchmark, deviation_bps=dev,
                  limit_bps=limits.max_price_deviation_bps)


def _crosses(draft: ProposalDraft, progress: OrderProgress, market: MarketSnapshot) -> bool:
    if draft.limit_price is None:
        return False
    if progress.side == "buy":
        return draft.limit_price >= market.best_ask
    return draft.limit_price <= market.best_bid


def _volatility(market: MarketSnapshot, limits: RiskLimits) -> Check:
    vol = market.volatility_1h
    return _check("max_volatility", vol <= limits.max_volatility_1h, HARD,
                  f"1-h volatility {vol * 100:.2f} % vs stop at {limits.max_volatility_1h * 100:.1f} %",
                  volatility_1h=vol, limit=limits.max_volatility_1h)


def _instrument(instrument: Instrument, qty: float, price: float) -> Check:
    try:
        q = instrument.qty(qty) if qty > 0 else Decimal(0)
    except InvalidOperation:  # beyond Decimal's 28 digits at the step: no venue takes such a size
        return _check("instrument_minimums", False, HARD,
                      f"qty {qty:g} cannot be snapped to the step {instrument.qty_step}", qty=qty)
    notional = float(q) * price
    ok = q >= instrument.min_qty and notional >= float(instrument.min_notional)
    return _check("instrument_minimums", ok, HARD,
                  f"qty {q} (min {instrument.min_qty}), notional {notional:,.2f} (min {instrument.min_notional})",
                  qty=str(q), min_qty=str(instrument.min_qty), notional=notional,
                  min_notional=str(instrument.min_notional))


def expected_interval_volume(market: MarketSnapshot, interval_s: float) -> float:
    """The volume the market is expected to print over one decision interval, from the last minute's."""
    return market.volume_1m / 60.0 * max(interval_s, 1.0)


def max_order_quantity(market: MarketSnapshot, limits: RiskLimits, interval_s: float, price: float) -> float:
    """The largest child quantity the sizing limits allow now: participation (q / (q + E) <= p, so
    q <= p·E / (1 − p)) and the maximum notional per order. Sizing a slice to this keeps a strategy
    trading at the limit instead of being blocked by it."""
    by_volume = quantity_at_participation(limits.max_participation, expected_interval_volume(market, interval_s))
    by_notional = limits.max_order_notional / price if price > 0 else 0.0
    return max(min(by_volume, by_notional), 0.0)


def _participation(qty: float, market: MarketSnapshot, limits: RiskLimits, interval_s: float) -> Check:
    # Our share of the volume the market is expected to print over one decision interval, from the
    # last minute's volume; POV convention: ours / (ours + market's).
    expected = expected_interval_volume(market, interval_s)
    rate = qty / (qty + expected) if qty + expected > 0 else 1.0
    return _check("max_participation", rate <= limits.max_participation, HARD,
                  f"participation {rate * 100:.1f} % of expected {expected:.4f} volume vs max "
                  f"{limits.max_participation * 100:.0f} %",
                  participation=rate, expected_volume=expected, limit=limits.max_participation)


def _interval(progress: OrderProgress, limits: RiskLimits) -> Check:
    if progress.last_order_at is None:
        return _check("min_order_interval", True, HARD, "first child order", seconds_since_last=None)
    gap = progress.now - progress.last_order_at
    return _check("min_order_interval", gap >= limits.min_order_interval_s, HARD,
                  f"{gap:.1f} s since the last order vs min {limits.min_order_interval_s:.0f} s",
                  seconds_since_last=gap, limit_s=limits.min_order_interval_s)
