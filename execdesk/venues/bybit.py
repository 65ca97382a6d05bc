"""Bybit execution client over pybit's HTTP session: place, cancel and look up orders by orderLinkId.

It mirrors the paper venue (``place``/``cancel``/``get``/``open_orders`` returning domain reports) so the
desk drives either one. What it adds is the exchange's failure modes, handled by
`execdesk.bybit.errors.classify_pybit_error`:

* rejected: nothing was created; the report is REJECTED with Bybit's message;
* retryable (clock skew, rate limit): refused before matching; wait (Bybit's reset time when it sent one)
  and send the same request again;
* ambiguous (10016, 5xx, timeout, dropped connection, duplicate orderLinkId): the order may exist; look it
  up by orderLinkId *before anything else* and resend only when Bybit says it does not exist. The
  orderLinkId never changes between attempts, so even a resend that races a late acceptance is refused by
  Bybit as a duplicate (110072) instead of becoming a second order.

Orders are validated against the instrument before anything is sent, and quantity and price travel as
plain decimal strings, because pybit sends numbers with ``str()`` and a float could go out as ``1e-05``.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from typing import Any

from pybit.unified_trading import HTTP

from execdesk.bybit.errors import Classification, ErrorClass, backoff_s, classify_pybit_error
from execdesk.bybit.parse import BybitPayloadError, InstrumentLimits, decimal_value
from execdesk.domain.instrument import Instrument, InstrumentRuleError, to_decimal
from execdesk.domain.orders import (
    ChildStatus,
    FillReport,
    OrderReport,
    OrderRequest,
    OrderType,
    Side,
    TimeInForce,
)
from execdesk.venues.rate_limit import RateLimiter, RateLimitTimeout

CATEGORIES = ("linear", "spot")
LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")  # Bybit's orderLinkId rule
MAX_LINK_ID = 36
REPRICE_SUFFIX = "-r1"
POST_ONLY_TOOK_LIQUIDITY = "EC_PostOnlyWillTakeLiquidity"  # rejectReason of a PostOnly Bybit cancelled
AVG_PRICE_QUANTUM = Decimal("0.00000001")
EXECUTION_PAGE = 100
MAX_EXECUTION_PAGES = 20

# Bybit orderStatus -> our child status. Conditional orders (Untriggered/Triggered) and spot's
# PartiallyFilledCanceled are folded in: what matters to the desk is open, filled, cancelled or rejected.
STATUS_MAP: dict[str, ChildStatus] = {
    "Created": ChildStatus.SUBMITTED,
    "New": ChildStatus.SUBMITTED,
    "Untriggered": ChildStatus.SUBMITTED,
    "Triggered": ChildStatus.SUBMITTED,
    "PartiallyFilled": ChildStatus.PARTIALLY_FILLED,
    "Filled": ChildStatus.FILLED,
    "Cancelled": ChildStatus.CANCELLED,
    "PartiallyFilledCanceled": ChildStatus.CANCELLED,
    "Deactivated": ChildStatus.CANCELLED,
    "Rejected": ChildStatus.REJECTED,
}
_QUIET_REASONS = frozenset({"", "EC_NoError"})


@dataclass(frozen=True)
class BybitOrderReport(OrderReport):
    """An OrderReport with what only a real exchange produces.

    `repriced_from` is the orderLinkId of a PostOnly Bybit cancelled for taking liquidity; this report is
    then the replacement resting at our touch (its own orderLinkId ends in ``-r1``). `unresolved` means
    every attempt ended ambiguously and no lookup could say whether the order exists: the status stays
    NEW (open) so reconciliation by orderLinkId settles it, and the same request must not be re-sent
    under a new orderLinkId.
    """

    repriced_from: str | None = None
    unresolved: bool = False
    price: Decimal | None = None  # the order's limit price on Bybit (a repriced PostOnly's new price)


class BybitRequestError(Exception):
    """A read or a cancel Bybit refused (`classification.kind` REJECTED) or could not answer after every
    attempt (RETRYABLE or AMBIGUOUS). Orders never raise it: `place` reports every outcome."""

    def __init__(self, classification: Classification) -> None:
        super().__init__(classification.message)
        self.classification = classification


class BybitVenue:
    def __init__(
        self,
        http: HTTP,
        *,
        category: str = "linear",
        instruments: Mapping[str, Instrument] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_attempts: int = 4,
        limiter: RateLimiter | None = None,
        limiter_timeout_s: float = 5.0,
    ) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        self.http = http
        self.category = category
        # symbol -> rules from instruments-info; an order for a symbol missing here is refused unsent
        self.instruments = dict(instruments or {})
        # symbol -> trading status and largest order sizes, when known: checked before sending
        self.limits: dict[str, InstrumentLimits] = {}
        self.clock = clock
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random(0)
        self.max_attempts = max_attempts
        # the order-create budget shared with every other worker (Bybit: 10/s linear, 20/s spot)
        self.limiter = limiter
        self.limiter_timeout_s = limiter_timeout_s
        self._symbols: dict[str, str] = {}  # orderLinkId -> symbol of the orders this client placed

    # ------------------------------------------------------------------ orders

    def place(self, request: OrderRequest) -> BybitOrderReport:
        """Send `request` once, whatever fails on the way; never two orders for one orderLinkId."""
        instrument = self.instruments.get(request.symbol)
        if instrument is None:
            return _rejected(request.order_link_id, f"no instrument rules known for {request.symbol}")
        reason = self._invalid_reason(request, instrument)
        if reason:
            return _rejected(request.order_link_id, reason)
        report, crossed = self._submit(request, instrument)
        if request.order_type is OrderType.POST_ONLY and (crossed or _took_liquidity(report)):
            return self._reprice(request, instrument, report)
        return report

    def cancel(self, order_link_id: str) -> BybitOrderReport | None:
        """Cancel the order; None when Bybit has no order with this orderLinkId. A cancel that fails
        ambiguously is harmless to repeat, so it is retried like a lookup."""
        row = self._order_row(order_link_id)
        if row is None:
            return None
        if STATUS_MAP.get(str(row.get("orderStatus")), ChildStatus.SUBMITTED).is_open:
            params = {"category": self.category, "symbol": row["symbol"], "orderLinkId": order_link_id}
            try:
                self._call(lambda: self.http.cancel_order(**params))
            except BybitRequestError as exc:
                if exc.classification.kind is not ErrorClass.REJECTED:
                    raise
                # 110001/110008: it filled or was cancelled meanwhile; the lookup below tells which
        return self.get(order_link_id)

    def get(self, order_link_id: str) -> BybitOrderReport | None:
        """The order and its whole fill history, or None when Bybit has no order with this orderLinkId."""
        row = self._order_row(order_link_id)
        if row is None:
            return None
        return self._report(row, self.executions(order_link_id))

    def open_orders(self) -> list[BybitOrderReport]:
        reports = []
        for symbol in sorted(self.instruments):
            rows = self._result_list(
                partial(self.http.get_open_orders, category=self.category, symbol=symbol, limit=50),
                "order/realtime",
            )
            for row in rows:
                link = str(row.get("orderLinkId") or "")
                if STATUS_MAP.get(str(row.get("orderStatus")), ChildStatus.CANCELLED).is_open:
                    reports.append(self._report(row, self.executions(link) if link else []))
        return reports

    def executions(self, order_link_id: str) -> list[FillReport]:
        """Every fill of the order from /v5/execution/list, oldest first (pages followed by cursor)."""
        params: dict[str, Any] = {"category": self.category, "orderLinkId": order_link_id,
                                  "limit": EXECUTION_PAGE}
        symbol = self._symbols.get(order_link_id)
        if symbol:
            params["symbol"] = symbol
        fills: dict[str, FillReport] = {}
        for _ in range(MAX_EXECUTION_PAGES):
            result = self._result(partial(self.http.get_executions, **params), "execution/list")
            for row in result.get("list") or []:
                if isinstance(row, Mapping) and row.get("execType", "Trade") == "Trade":
                    fill = _fill(row, order_link_id)
                    fills[fill.exec_id] = fill
            cursor = result.get("nextPageCursor")
            if not cursor:
                break
            params["cursor"] = cursor
        return sorted(fills.values(), key=lambda f: (f.ts, f.exec_id))

    # ------------------------------------------------------------------ validation

    def _invalid_reason(self, request: OrderRequest, instrument: Instrument) -> str:
        if not LINK_ID.match(request.order_link_id):
            return (
                f"order_link_id {request.order_link_id!r} must be 1-36 characters of letters, digits, "
                "'-' or '_'"
            )
        if request.reduce_only and self.category != "linear":
            return f"{request.symbol}: reduce-only orders exist for linear contracts, not {self.category}"
        qty = to_decimal(request.qty)
        if qty <= 0:
            return f"{request.symbol}: quantity {qty} must be positive"
        if instrument.qty(qty) != qty:
            return f"{request.symbol}: quantity {qty} is not a multiple of the {instrument.qty_step} step"
        if request.order_type is OrderType.MARKET:
            # the minimum notional of a market order is checked at the price it would take
            try:
                reference = self._touch(request.symbol, Side(request.side), opposite=True, instrument=instrument)
            except (BybitRequestError, BybitPayloadError) as exc:
                return f"{request.symbol}: cannot check the minimum notional, the order book is unavailable: {exc}"
        else:
            if request.price is None:
                return f"{request.order_type.value} order needs a limit price"
            reference = to_decimal(request.price)
            if reference <= 0:
                return f"{request.symbol}: price {reference} must be positive"
            if instrument.price(reference) != reference:
                return f"{request.symbol}: price {reference} is not on the {instrument.tick_size} tick"
        try:
            instrument.check(qty, reference)
        except InstrumentRuleError as exc:
            return str(exc)
        return _limits_reason(self.limits.get(request.symbol), request, qty)

    # ------------------------------------------------------------------ sending

    def _params(self, request: OrderRequest, instrument: Instrument) -> dict[str, Any]:
        side = Side(request.side)
        params: dict[str, Any] = {
            "category": self.category,
            "symbol": request.symbol,
            "side": "Buy" if side is Side.BUY else "Sell",
            "qty": format(instrument.qty(to_decimal(request.qty)), "f"),
            "orderLinkId": request.order_link_id,
        }
        if request.reduce_only:
            params["reduceOnly"] = True
        if request.order_type is OrderType.MARKET:
            params["orderType"] = "Market"
            params["timeInForce"] = "IOC"  # Bybit executes a market order IOC whatever is sent
            if self.category == "spot":
                params["marketUnit"] = "baseCoin"  # a spot market buy is otherwise sized in USDT
        else:
            assert request.price is not None
            params["orderType"] = "Limit"
            params["price"] = format(instrument.price(to_decimal(request.price)), "f")
            params["timeInForce"] = (
                "PostOnly" if request.order_type is OrderType.POST_ONLY else TimeInForce(request.tif).value
            )
        return params

    def _submit(self, request: OrderRequest, instrument: Instrument) -> tuple[BybitOrderReport, bool]:
        """Create the order through every retry and ambiguity; return what Bybit holds for it, and whether
        Bybit refused it as a post-only that would have taken liquidity (spot 170218)."""
        link = request.order_link_id
        params = self._params(request, instrument)
        self._symbols[link] = request.symbol
        must_look_up = False  # an earlier attempt may have created the order
        last: Classification | None = None
        for attempt in range(self.max_attempts):
            if attempt and last is not None and not last.duplicate:
                self.sleep(backoff_s(attempt - 1, rng=self.rng, retry_after=last.retry_after_s))
            if must_look_up:
                try:
                    found = self._order_row_once(link)
                    if found is not None:
                        return self._report(found, self.executions(link)), False
                except BybitRequestError as exc:
                    last = exc.classification
                    continue
                must_look_up = False  # Bybit says it does not exist: only now may it be sent again
            if self.limiter is not None:
                try:
                    self.limiter.acquire(self.category, timeout_s=self.limiter_timeout_s)
                except RateLimitTimeout as exc:  # our own budget is spent: nothing was sent, try again later
                    last = Classification(kind=ErrorClass.RETRYABLE, code=None, message=str(exc),
                                          retry_after_s=exc.wait_s)
                    continue
            try:
                self.http.place_order(**params)
            except Exception as exc:  # noqa: BLE001 - every pybit/requests failure is classified below
                last = classify_pybit_error(exc, now=self.clock())
                if last.kind is ErrorClass.REJECTED:
                    return _rejected(link, last.message), last.post_only_crossed
                must_look_up = must_look_up or last.kind is ErrorClass.AMBIGUOUS
                continue
            try:
                report = self.get(link)
            except BybitRequestError as exc:
                return _unresolved(link, f"Bybit accepted the order; reading it back failed: {exc}"), False
            if report is None:  # accepted but not yet listed: reconciliation by orderLinkId will find it
                return _unresolved(link, "Bybit accepted the order but does not list it yet"), False
            return report, False
        assert last is not None
        gave_up = f"{last.message}; gave up after {self.max_attempts} attempts"
        if not must_look_up:  # only refusals before matching: nothing was created
            return _rejected(link, gave_up), False
        try:
            found = self._order_row(link)
            if found is not None:
                return self._report(found, self.executions(link)), False
        except BybitRequestError:
            return _unresolved(link, gave_up), False
        return _unresolved(link, gave_up), False

    def _reprice(
        self, request: OrderRequest, instrument: Instrument, crossed: BybitOrderReport
    ) -> BybitOrderReport:
        """Place a PostOnly Bybit refused for taking liquidity once more, at our own touch."""
        side = Side(request.side)
        touch = self._touch(request.symbol, side, opposite=False, instrument=instrument)
        link = request.order_link_id[: MAX_LINK_ID - len(REPRICE_SUFFIX)] + REPRICE_SUFFIX
        retry = OrderRequest(
            order_link_id=link,
            symbol=request.symbol,
            side=side,
            order_type=OrderType.POST_ONLY,
            qty=request.qty,
            price=touch,
            tif=request.tif,
        )
        reason = self._invalid_reason(retry, instrument)
        report = _rejected(link, reason) if reason else self._submit(retry, instrument)[0]
        return BybitOrderReport(**{**_fields(report), "repriced_from": crossed.order_link_id})

    def _touch(self, symbol: str, side: Side, *, opposite: bool, instrument: Instrument) -> Decimal:
        """Best price on our side of the book (`opposite`: the side a market order would take)."""
        result = self._result(
            lambda: self.http.get_orderbook(category=self.category, symbol=symbol, limit=1), "orderbook"
        )
        use_bids = (side is Side.BUY) != opposite
        levels = result.get("b" if use_bids else "a") or []
        if not levels:
            raise BybitPayloadError(f"orderbook {symbol}: the {'bid' if use_bids else 'ask'} side is empty")
        return instrument.price(_decimal(levels[0][0], f"orderbook {symbol} price"))

    # ------------------------------------------------------------------ reading

    def _order_row(self, order_link_id: str) -> Mapping[str, Any] | None:
        """The order by orderLinkId, retrying failed lookups; BybitRequestError when every attempt failed."""
        last: Classification | None = None
        for attempt in range(self.max_attempts):
            if attempt and last is not None:
                self.sleep(backoff_s(attempt - 1, rng=self.rng, retry_after=last.retry_after_s))
            try:
                return self._order_row_once(order_link_id)
            except BybitRequestError as exc:
                last = exc.classification
                if last.kind is ErrorClass.REJECTED:
                    raise
        assert last is not None
        raise BybitRequestError(last)

    def _order_row_once(self, order_link_id: str) -> Mapping[str, Any] | None:
        params: dict[str, Any] = {"category": self.category, "orderLinkId": order_link_id}
        symbol = self._symbols.get(order_link_id)
        if symbol:
            params["symbol"] = symbol
        try:
            response = self.http.get_open_orders(**params)
        except Exception as exc:  # noqa: BLE001
            raise BybitRequestError(classify_pybit_error(exc, now=self.clock())) from exc
        rows = _result_of(response, "order/realtime").get("list") or []
        row = next((r for r in rows if isinstance(r, Mapping) and r.get("orderLinkId") == order_link_id), None)
        if row is not None:
            self._symbols[order_link_id] = str(row.get("symbol"))
        return row

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Call a read or an idempotent request, retrying what is not a rejection."""
        last: Classification | None = None
        for attempt in range(self.max_attempts):
            if attempt and last is not None:
                self.sleep(backoff_s(attempt - 1, rng=self.rng, retry_after=last.retry_after_s))
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001
                last = classify_pybit_error(exc, now=self.clock())
                if last.kind is ErrorClass.REJECTED:
                    raise BybitRequestError(last) from exc
        assert last is not None
        raise BybitRequestError(last)

    def _result(self, fn: Callable[[], Any], what: str) -> Mapping[str, Any]:
        return _result_of(self._call(fn), what)

    def _result_list(self, fn: Callable[[], Any], what: str) -> list[Mapping[str, Any]]:
        return [r for r in self._result(fn, what).get("list") or [] if isinstance(r, Mapping)]

    def _report(self, row: Mapping[str, Any], fills: list[FillReport]) -> BybitOrderReport:
        link = str(row.get("orderLinkId") or "")
        bybit_status = str(row.get("orderStatus"))
        status = STATUS_MAP.get(bybit_status)
        if status is None:
            raise BybitPayloadError(f"order {link}: unknown orderStatus {bybit_status!r}")
        filled = _decimal(row.get("cumExecQty") or "0", f"order {link} cumExecQty")
        if status is ChildStatus.SUBMITTED and filled > 0:  # a triggered conditional order can be part-filled
            status = ChildStatus.PARTIALLY_FILLED
        avg = None
        fill_qty = sum((f.qty for f in fills), Decimal(0))
        if fill_qty > 0:
            notional = sum((f.qty * f.price for f in fills), Decimal(0))
            avg = (notional / fill_qty).quantize(AVG_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
        elif filled > 0 and row.get("avgPrice"):
            avg = _decimal(row["avgPrice"], f"order {link} avgPrice")
        reason = str(row.get("rejectReason") or "")
        shown = ""
        if status in (ChildStatus.CANCELLED, ChildStatus.REJECTED) and reason not in _QUIET_REASONS:
            shown = reason
        price = None
        if row.get("price") not in (None, "", "0"):
            price = _decimal(row["price"], f"order {link} price")
        return BybitOrderReport(
            price=price,
            order_link_id=link,
            venue_order_id=str(row.get("orderId") or ""),
            status=status,
            filled_qty=filled,
            avg_price=avg,
            fills=tuple(fills),
            reject_reason=shown,
        )


# ---------------------------------------------------------------------- helpers


def _result_of(response: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(response, Mapping) or not isinstance(response.get("result"), Mapping):
        raise BybitPayloadError(f"{what}: the response has no result object")
    result: Mapping[str, Any] = response["result"]
    return result


def _decimal(value: Any, where: str) -> Decimal:
    return decimal_value(value, where, signed=True)  # fees can be negative (maker rebates)


def _fill(row: Mapping[str, Any], order_link_id: str) -> FillReport:
    where = f"execution of {order_link_id}"
    exec_id = str(row.get("execId") or "")
    if not exec_id:
        raise BybitPayloadError(f"{where}: execId is missing")
    maker = row.get("isMaker")
    return FillReport(
        exec_id=exec_id,
        order_link_id=order_link_id,
        qty=_decimal(row.get("execQty"), f"{where} execQty"),
        price=_decimal(row.get("execPrice"), f"{where} execPrice"),
        fee=_decimal(row.get("execFee") or "0", f"{where} execFee"),
        fee_currency=str(row.get("feeCurrency") or ""),
        liquidity="maker" if maker is True or str(maker).lower() == "true" else "taker",
        ts=float(_decimal(row.get("execTime"), f"{where} execTime")) / 1000.0,
    )


def _limits_reason(limits: InstrumentLimits | None, request: OrderRequest, qty: Decimal) -> str:
    """instruments-info's status and maximum order sizes, checked before sending."""
    if limits is None:
        return ""
    if not limits.trading:
        return f"{request.symbol} is not trading on Bybit (status {limits.status})"
    market = request.order_type is OrderType.MARKET
    largest = limits.max_market_qty if market else limits.max_limit_qty
    if largest is not None and qty > largest:
        kind = "market" if market else "limit"
        return f"{request.symbol}: quantity {qty} is above Bybit's maximum {kind} order size {largest}"
    return ""


def _took_liquidity(report: OrderReport) -> bool:
    """Linear PostOnly: Bybit accepts it, then cancels it at once (nothing filled) for crossing."""
    return (
        report.status is ChildStatus.CANCELLED
        and report.filled_qty == 0
        and report.reject_reason == POST_ONLY_TOOK_LIQUIDITY
    )


def _rejected(link: str, reason: str) -> BybitOrderReport:
    return BybitOrderReport(link, "", ChildStatus.REJECTED, Decimal(0), None, (), reason)


def _unresolved(link: str, reason: str) -> BybitOrderReport:
    return BybitOrderReport(link, "", ChildStatus.NEW, Decimal(0), None, (), reason, unresolved=True)


def _fields(report: OrderReport) -> dict[str, Any]:
    return {name: getattr(report, name) for name in report.__dataclass_fields__}
