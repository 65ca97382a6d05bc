"""In-memory state and matching of the loopback Bybit venue: books, public trades, orders, executions,
balances. Thread-safe (one lock); the HTTP layer in bybit_server.py only parses, signs and routes.

Matching follows what Bybit documents: market orders and crossing limits take liquidity level by
level from the opposite book; resting limits fill as maker when a test calls `trade_through`; a
PostOnly that would cross is accepted (retCode 0) and immediately cancelled with rejectReason
EC_PostOnlyWillTakeLiquidity; spot market buys measure qty in the quote coin unless
marketUnit=baseCoin.

Listeners (`add_listener`) hear every change as it happens, which is how the loopback WebSocket server
(bybit_ws.py) turns REST activity into pushes: "book" and "ticker" {category, symbol}, "trade" {category,
symbol, trade}, "order" {category, order} (the /v5/order/realtime row) and "execution" {category,
execution}. They are called under the venue's lock, so they must only hand the event on, never block."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from tests.loopback.bybit_instruments import CATEGORIES, DEFAULT_MIDS, Instrument, default_instruments, fmt

logger = logging.getLogger(__name__)

VenueListener = Callable[[str, dict[str, object]], None]
ORDER_LINK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
OPEN_STATUSES = ("New", "PartiallyFilled")
SEED_LEVELS = 50


class BybitError(Exception):
    """A non-zero retCode with Bybit's message; the HTTP layer turns it into the JSON envelope."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _param_error(detail: str) -> BybitError:
    return BybitError(10001, f"Request parameter error: {detail}")


def _dec(params: dict[str, object], name: str) -> Decimal:
    raw = params.get(name)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise _param_error(f"{name} invalid: {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise _param_error(f"{name} invalid: {raw!r}")
    return value


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


@dataclass
class Book:
    """One side-by-side order book: price -> size; `u`/`seq` advance on every change."""

    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    update_id: int = 1
    seq: int = 1000

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    def levels(self, side: str, limit: int) -> list[tuple[Decimal, Decimal]]:
        book = self.bids if side == "b" else self.asks
        prices = sorted(book, reverse=(side == "b"))[:limit]
        return [(p, book[p]) for p in prices]

    def touch(self) -> None:
        self.update_id += 1
        self.seq += 1


@dataclass
class Order:
    category: str
    symbol: str
    order_id: str
    order_link_id: str
    side: str
    order_type: str
    qty: Decimal
    price: Decimal | None
    time_in_force: str
    market_unit: str
    reduce_only: bool
    created_ms: int
    updated_ms: int
    status: str = "New"
    cum_qty: Decimal = Decimal(0)
    cum_value: Decimal = Decimal(0)
    cum_fee: Decimal = Decimal(0)
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"

    @property
    def leaves_qty(self) -> Decimal:
        if self.market_unit == "quoteCoin":
            return Decimal(0) if self.status not in OPEN_STATUSES else self.qty - self.cum_value
        return self.qty - self.cum_qty if self.status in OPEN_STATUSES else Decimal(0)

    def as_json(self) -> dict[str, object]:
        avg = self.cum_value / self.cum_qty if self.cum_qty else None
        leaves_value = self.leaves_qty * self.price if self.price is not None else Decimal(0)
        return {
            "orderId": self.order_id,
            "orderLinkId": self.order_link_id,
            "blockTradeId": "",
            "symbol": self.symbol,
            "price": fmt(self.price) if self.price is not None else "0",
            "qty": fmt(self.qty),
            "side": self.side,
            "isLeverage": "",
            "positionIdx": 0,
            "orderStatus": self.status,
            "createType": "CreateByUser",
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": fmt(avg) if avg is not None else "",
            "leavesQty": fmt(self.leaves_qty),
            "leavesValue": fmt(leaves_value),
            "cumExecQty": fmt(self.cum_qty),
            "cumExecValue": fmt(self.cum_value),
            "cumExecFee": fmt(self.cum_fee),
            "timeInForce": self.time_in_force,
            "orderType": self.order_type,
            "stopOrderType": "",
            "orderIv": "",
            "marketUnit": self.market_unit if self.category == "spot" else "",
            "triggerPrice": "",
            "takeProfit": "",
            "stopLoss": "",
            "tpslMode": "",
            "ocoTriggerBy": "",
            "tpLimitPrice": "",
            "slLimitPrice": "",
            "tpTriggerBy": "",
            "slTriggerBy": "",
            "triggerDirection": 0,
            "triggerBy": "",
            "lastPriceOnCreated": "",
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": False,
            "placeType": "",
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.updated_ms),
        }


class BybitVenue:
    """The exchange behind the loopback server. All public methods take the lock."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, instruments: list[Instrument] | None = None
    ) -> None:
        self._lock = threading.RLock()
        self.clock = clock
        self.instruments = {(i.category, i.symbol): i for i in (instruments or default_instruments())}
        self.books: dict[tuple[str, str], Book] = {}
        self.trades: dict[tuple[str, str], deque[dict[str, object]]] = {}
        self.orders: list[Order] = []
        self.executions: list[dict[str, object]] = []
        self.balances: dict[str, Decimal] = {
            "USDT": Decimal("1000000"),
            "BTC": Decimal("10"),
            "ETH": Decimal("100"),
        }
        self.leverage = Decimal("10")
        self.fee_rates = {
            "spot": (Decimal("0.001"), Decimal("0.001")),
            "linear": (Decimal("0.00055"), Decimal("0.0002")),
        }
        self.funding_rate = Decimal("0.0001")
        self.open_interest = Decimal("50000")
        self._seq = 0
        self._listeners: list[VenueListener] = []
        for category, symbol in self.instruments:
            self.seed_book(symbol, DEFAULT_MIDS.get(symbol, Decimal("100")), category=category)

    # ---- listeners ------------------------------------------------------------------------------
    @property
    def lock(self) -> threading.RLock:
        """The venue's lock, for readers (the WebSocket server) that need a consistent view."""
        return self._lock

    def add_listener(self, listener: VenueListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: VenueListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _emit(self, kind: str, payload: dict[str, object]) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind, payload)
            except Exception:  # a test listener's bug must not break the venue's matching
                logger.exception("venue listener failed on a %s event", kind)

    def _emit_order(self, order: Order) -> None:
        if self._listeners:
            payload: dict[str, object] = {"category": order.category, "symbol": order.symbol}
            self._emit("order", {**payload, "order": order.as_json()})

    def set_open_interest(self, value: Decimal | str) -> None:
        """Change the linear open interest the tickers report (REST and the ticker stream)."""
        with self._lock:
            self.open_interest = Decimal(str(value))
            self._emit_tickers()

    def set_funding_rate(self, value: Decimal | str) -> None:
        """Change the linear funding rate the tickers report (REST and the ticker stream)."""
        with self._lock:
            self.funding_rate = Decimal(str(value))
            self._emit_tickers()

    def _emit_tickers(self) -> None:
        for category, symbol in self.instruments:
            if category == "linear":
                self._emit("ticker", {"category": category, "symbol": symbol})

    # ---- clock and ids -------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def instrument(self, category: str, symbol: str) -> Instrument:
        if category not in CATEGORIES:
            raise _param_error(f"category invalid: {category!r}")
        try:
            return self.instruments[(category, symbol)]
        except KeyError:
            raise _param_error(f"symbol invalid: {symbol!r}") from None

    # ---- market data set-up for tests ----------------------------------------------------------
    def seed_book(
        self,
        symbol: str,
        mid: Decimal | str,
        *,
        category: str = "linear",
        levels: int = SEED_LEVELS,
        level_size: Decimal | str | None = None,
        spread_ticks: int = 1,
    ) -> None:
        """A deterministic book around `mid`: best bid/ask `spread_ticks` ticks each side of mid, one
        level per tick, sizes (about 10,000 quote each) growing away from the touch; also seeds 20 public trades at mid."""
        with self._lock:
            inst = self.instrument(category, symbol)
            mid = Decimal(str(mid))
            base = (
                Decimal(str(level_size))
                if level_size is not None
                else (Decimal(10000) / mid).quantize(inst.qty_step)
            )
            base = max(base, inst.min_order_qty)
            book = Book()
            for i in range(levels):
                offset = inst.tick_size * (spread_ticks + i)
                size = (base * (1 + Decimal(i) / 4)).quantize(inst.qty_step, ROUND_DOWN)
                book.bids[(mid - offset).quantize(inst.tick_size)] = size
                book.asks[(mid + offset).quantize(inst.tick_size)] = size
            self.books[(category, symbol)] = book
            self.trades[(category, symbol)] = deque(maxlen=1000)
            for i in range(20):
                side = "Buy" if i % 2 else "Sell"
                self._print(category, symbol, mid, base, side, self.now_ms() - (20 - i) * 1000)
            self._emit("book", {"category": category, "symbol": symbol})

    def set_book(
        self,
        symbol: str,
        bids: list[tuple[str, str]],
        asks: list[tuple[str, str]],
        *,
        category: str = "linear",
    ) -> None:
        """Replace the book with explicit [price, size] levels."""
        with self._lock:
            self.instrument(category, symbol)
            book = self.books[(category, symbol)]
            book.bids = {Decimal(p): Decimal(q) for p, q in bids}
            book.asks = {Decimal(p): Decimal(q) for p, q in asks}
            book.touch()
            self._emit("book", {"category": category, "symbol": symbol})

    def _print(self, category: str, symbol: str, price: Decimal, size: Decimal, side: str, ts: int) -> None:
        trade: dict[str, object] = {
            "execId": str(uuid.uuid4()),
            "symbol": symbol,
            "price": fmt(price),
            "size": fmt(size),
            "side": side,
            "time": str(ts),
            "isBlockTrade": False,
            "isRPITrade": False,
        }
        self.trades[(category, symbol)].appendleft(trade)
        self._emit("trade", {"category": category, "symbol": symbol, "trade": dict(trade)})

    def mid(self, category: str, symbol: str) -> Decimal:
        book = self.books[(category, symbol)]
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        last = self.trades[(category, symbol)]
        return Decimal(str(last[0]["price"])) if last else DEFAULT_MIDS.get(symbol, Decimal(100))

    # ---- orders --------------------------------------------------------------------------------
    def create_order(self, params: dict[str, object]) -> dict[str, str]:
        with self._lock:
            result = self._create_order(params)
            order = next((o for o in reversed(self.orders) if o.order_id == result["orderId"]), None)
            if order is not None:
                self._emit_order(order)
            return result

    def _create_order(self, p: dict[str, object]) -> dict[str, str]:
        category, symbol = str(p.get("category", "")), str(p.get("symbol", ""))
        inst = self.instrument(category, symbol)
        side, order_type = p.get("side"), p.get("orderType")
        if side not in ("Buy", "Sell"):
            raise _param_error(f"side invalid: {side!r}")
        if order_type not in ("Market", "Limit"):
            raise _param_error(f"orderType invalid: {order_type!r}")
        link_id = str(p.get("orderLinkId") or "")
        if link_id and not ORDER_LINK_ID_RE.match(link_id):
            raise _param_error(f"orderLinkId invalid: {link_id!r} (max 36 chars of [A-Za-z0-9_-])")
        if link_id and any(o.order_link_id == link_id for o in self.orders):
            raise BybitError(110072, "OrderLinkedID is duplicate")
        tif = str(p.get("timeInForce") or ("IOC" if order_type == "Market" else "GTC"))
        if tif not in ("GTC", "IOC", "FOK", "PostOnly"):
            raise _param_error(f"timeInForce invalid: {tif!r}")
        if order_type == "Market" and tif == "PostOnly":
            raise _param_error("Market order cannot be PostOnly")
        qty = _dec(p, "qty")
        price = _dec(p, "price") if order_type == "Limit" else None
        market_unit = "baseCoin"
        if category == "spot" and order_type == "Market" and side == "Buy":
            market_unit = str(p.get("marketUnit") or "quoteCoin")
            if market_unit not in ("baseCoin", "quoteCoin"):
                raise _param_error(f"marketUnit invalid: {market_unit!r}")
        self._validate_size(inst, order_type, qty, price, market_unit)
        self._check_balance(inst, str(side), order_type, qty, price, market_unit, bool(p.get("reduceOnly")))

        now = self.now_ms()
        order = Order(
            category,
            symbol,
            str(uuid.uuid4()),
            link_id,
            str(side),
            str(order_type),
            qty,
            price,
            tif,
            market_unit,
            bool(p.get("reduceOnly")),
            now,
            now,
        )
        self.orders.append(order)
        book = self.books[(category, symbol)]
        best_opposite = book.best_ask() if side == "Buy" else book.best_bid()
        crosses = best_opposite is not None and (
            price is None or (price >= best_opposite if side == "Buy" else price <= best_opposite)
        )
        if tif == "PostOnly" and crosses:
            order.status, order.reject_reason = "Cancelled", "EC_PostOnlyWillTakeLiquidity"
            return {"orderId": order.order_id, "orderLinkId": link_id}
        if crosses:
            self._take(order, book, inst)
        if order.status in OPEN_STATUSES and (order_type == "Market" or tif in ("IOC", "FOK")):
            partial = order.cum_qty > 0
            order.status = (
                ("PartiallyFilledCanceled" if category == "spot" else "Cancelled") if partial else "Cancelled"
            )
            order.reject_reason = "EC_CancelForNoFullFill" if partial else "EC_NoImmediateQtyToFill"
        return {"orderId": order.order_id, "orderLinkId": link_id}

    def _validate_size(
        self, inst: Instrument, order_type: str, qty: Decimal, price: Decimal | None, market_unit: str
    ) -> None:
        if price is not None and not _on_grid(price, inst.tick_size):
            raise _param_error(f"price {fmt(price)} is not a multiple of tickSize {fmt(inst.tick_size)}")
        if market_unit == "quoteCoin":
            if not _on_grid(qty, inst.quote_precision):
                raise _param_error(
                    f"qty {fmt(qty)} has more decimals than quotePrecision {fmt(inst.quote_precision)}"
                )
            if qty < inst.min_notional:
                raise BybitError(110094, "Order does not meet minimum order value")
            return
        if not _on_grid(qty, inst.qty_step):
            raise _param_error(f"qty {fmt(qty)} is not a multiple of the qty step {fmt(inst.qty_step)}")
        if qty < inst.min_order_qty:
            raise _param_error(f"qty {fmt(qty)} is below minOrderQty {fmt(inst.min_order_qty)}")
        cap = inst.max_mkt_order_qty if order_type == "Market" else inst.max_order_qty
        if qty > cap:
            raise _param_error(f"qty {fmt(qty)} exceeds the maximum {fmt(cap)}")
        ref = price if price is not None else self.mid(inst.category, inst.symbol)
        if qty * ref < inst.min_notional:
            raise BybitError(110094, "Order does not meet minimum order value")

    def _requirement(
        self, inst: Instrument, side: str, qty: Decimal, price: Decimal, market_unit: str
    ) -> tuple[str, Decimal]:
        if inst.category == "linear":
            return inst.quote_coin, qty * price / self.leverage
        if side == "Sell":
            return inst.base_coin, qty
        return inst.quote_coin, qty if market_unit == "quoteCoin" else qty * price

    def _check_balance(
        self,
        inst: Instrument,
        side: str,
        order_type: str,
        qty: Decimal,
        price: Decimal | None,
        market_unit: str,
        reduce_only: bool,
    ) -> None:
        if reduce_only and inst.category == "linear":
            return
        ref = price if price is not None else self.mid(inst.category, inst.symbol)
        coin, needed = self._requirement(inst, side, qty, ref, market_unit)
        locked = Decimal(0)
        for o in self.orders:
            if o.status in OPEN_STATUSES and o.price is not None:
                o_inst = self.instruments[(o.category, o.symbol)]
                o_coin, o_need = self._requirement(o_inst, o.side, o.leaves_qty, o.price, o.market_unit)
                if o_coin == coin:
                    locked += o_need
        if needed > self.balances.get(coin, Decimal(0)) - locked:
            raise BybitError(110007, "Insufficient available balance")

    def _take(self, order: Order, book: Book, inst: Instrument) -> None:
        side_book = book.asks if order.side == "Buy" else book.bids
        for level in sorted(side_book, reverse=(order.side == "Sell")):
            if order.price is not None and (
                level > order.price if order.side == "Buy" else level < order.price
            ):
                break
            if order.market_unit == "quoteCoin":
                room = ((order.qty - order.cum_value) / level).quantize(inst.qty_step, ROUND_DOWN)
            else:
                room = order.qty - order.cum_qty
            fill = min(room, side_book[level])
            if fill <= 0:
                break
            side_book[level] -= fill
            if side_book[level] == 0:
                del side_book[level]
            execution = self._fill(order, inst, level, fill, is_maker=False)
            # the taker's execution and the public print are one match: Bybit stamps both with its time
            self._print(order.category, order.symbol, level, fill, order.side, int(str(execution["execTime"])))
        book.touch()
        self._emit("book", {"category": order.category, "symbol": order.symbol})

    def _fill(
        self, order: Order, inst: Instrument, price: Decimal, qty: Decimal, *, is_maker: bool
    ) -> dict[str, object]:
        taker_rate, maker_rate = self.fee_rates[order.category]
        rate = maker_rate if is_maker else taker_rate
        value = price * qty
        if inst.category == "spot" and order.side == "Buy":
            fee, fee_coin = qty * rate, inst.base_coin
            self.balances[inst.quote_coin] = self.balances.get(inst.quote_coin, Decimal(0)) - value
            self.balances[inst.base_coin] = self.balances.get(inst.base_coin, Decimal(0)) + qty - fee
        elif inst.category == "spot":
            fee, fee_coin = value * rate, inst.quote_coin
            self.balances[inst.base_coin] = self.balances.get(inst.base_coin, Decimal(0)) - qty
            self.balances[inst.quote_coin] = self.balances.get(inst.quote_coin, Decimal(0)) + value - fee
        else:
            fee, fee_coin = value * rate, inst.quote_coin
            self.balances[fee_coin] = self.balances.get(fee_coin, Decimal(0)) - fee
        now = self.now_ms()
        order.cum_qty += qty
        order.cum_value += value
        order.cum_fee += fee
        order.updated_ms = now
        done = (
            order.cum_value >= order.qty if order.market_unit == "quoteCoin" else order.cum_qty >= order.qty
        )
        order.status = "Filled" if done else "PartiallyFilled"
        execution: dict[str, object] = {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "orderLinkId": order.order_link_id,
            "side": order.side,
            "orderPrice": fmt(order.price) if order.price is not None else "0",
            "orderQty": fmt(order.qty),
            "leavesQty": fmt(order.leaves_qty),
            "createType": "CreateByUser",
            "orderType": order.order_type,
            "stopOrderType": "",
            "execFee": fmt(fee),
            "execId": str(uuid.uuid4()),
            "execPrice": fmt(price),
            "execQty": fmt(qty),
            "execType": "Trade",
            "execValue": fmt(value),
            "execTime": str(now),
            "feeCurrency": fee_coin,
            "isMaker": is_maker,
            "feeRate": fmt(rate),
            "tradeIv": "",
            "markIv": "",
            "markPrice": fmt(self.mid(order.category, order.symbol)),
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
            "closedSize": "0",
            "seq": self._next_seq(),
            "category": order.category,
        }
        self.executions.append(execution)
        self._emit("execution", {"category": order.category, "symbol": order.symbol,
                                 "execution": dict(execution)})
        return execution

    def trade_through(
        self, symbol: str, price: Decimal | str, qty: Decimal | str, *, category: str = "linear"
    ) -> list[dict[str, object]]:
        """A market print at `price` for up to `qty`: resting buys at or above it and resting sells at
        or below it fill as maker at their own limit price, best price first then oldest first."""
        with self._lock:
            inst = self.instrument(category, symbol)
            price, remaining = Decimal(str(price)), Decimal(str(qty))
            resting = [
                o
                for o in self.orders
                if o.category == category
                and o.symbol == symbol
                and o.status in OPEN_STATUSES
                and o.price is not None
                and (o.price >= price if o.side == "Buy" else o.price <= price)
            ]
            resting.sort(key=lambda o: (-o.price if o.side == "Buy" else o.price, o.created_ms))  # type: ignore[operator]
            fills = []
            for o in resting:
                if remaining <= 0:
                    break
                qty_here = min(o.leaves_qty, remaining)
                remaining -= qty_here
                fills.append(self._fill(o, inst, o.price, qty_here, is_maker=True))  # type: ignore[arg-type]
                self._emit_order(o)
            self._print(category, symbol, price, Decimal(str(qty)), "Sell", self.now_ms())
            return fills

    def cancel_order(self, params: dict[str, object]) -> dict[str, str]:
        with self._lock:
            category, symbol = str(params.get("category", "")), str(params.get("symbol", ""))
            self.instrument(category, symbol)
            order = self._find(category, params.get("orderId"), params.get("orderLinkId"))
            if order is None or order.symbol != symbol or order.status not in OPEN_STATUSES:
                raise BybitError(110001, "Order does not exist.")
            order.status = "PartiallyFilledCanceled" if category == "spot" and order.cum_qty else "Cancelled"
            order.cancel_type, order.updated_ms = "CancelByUser", self.now_ms()
            self._emit_order(order)
            return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    def _find(self, category: str, order_id: object, link_id: object) -> Order | None:
        if not order_id and not link_id:
            raise _param_error("orderId or orderLinkId is required")
        for o in self.orders:
            if o.category == category and (
                (order_id and o.order_id == order_id)
                or (not order_id and link_id and o.order_link_id == link_id)
            ):
                return o
        return None

    def open_orders(self, params: dict[str, object]) -> list[dict[str, object]]:
        """GET /v5/order/realtime: open orders; by orderId/orderLinkId (or openOnly=1) also closed ones."""
        with self._lock:
            category = str(params.get("category", ""))
            if category not in CATEGORIES:
                raise _param_error(f"category invalid: {category!r}")
            order_id, link_id, symbol = params.get("orderId"), params.get("orderLinkId"), params.get("symbol")
            include_closed = bool(order_id or link_id) or str(params.get("openOnly", "0")) == "1"
            found = [
                o
                for o in reversed(self.orders)
                if o.category == category
                and (include_closed or o.status in OPEN_STATUSES)
                and (not symbol or o.symbol == symbol)
                and (not order_id or o.order_id == order_id)
                and (not link_id or o.order_link_id == link_id)
            ]
            limit = int(str(params.get("limit", 20)))
            return [o.as_json() for o in found[: max(1, min(limit, 50))]]

    def execution_list(self, params: dict[str, object]) -> list[dict[str, object]]:
        """GET /v5/execution/list: newest first; orderId beats orderLinkId beats symbol, as documented."""
        with self._lock:
            category = str(params.get("category", ""))
            if category not in CATEGORIES:
                raise _param_error(f"category invalid: {category!r}")
            rows = [e for e in reversed(self.executions) if e["category"] == category]
            if params.get("orderId"):
                rows = [e for e in rows if e["orderId"] == params["orderId"]]
            elif params.get("orderLinkId"):
                rows = [e for e in rows if e["orderLinkId"] == params["orderLinkId"]]
            elif params.get("symbol"):
                rows = [e for e in rows if e["symbol"] == params["symbol"]]
            limit = max(1, min(int(str(params.get("limit", 50))), 100))
            return [{k: v for k, v in e.items() if k != "category"} for e in rows[:limit]]

    def order(self, order_link_id: str) -> Order | None:
        """Test helper: the order with this orderLinkId in any category, or None."""
        with self._lock:
            return next((o for o in self.orders if o.order_link_id == order_link_id), None)
