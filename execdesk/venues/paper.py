"""Paper venue: validates orders like Bybit, matches them against a SimMarket or a ReplayMarket, keeps
resting orders. A resting order fills from the prints at or through its price only beyond the queue ahead
of it, which cancellations shorten (execdesk.venues.paper_queue; docs/replay.md, "Passive fills").

Fills in a report: ``place()`` of a new order and ``on_trades()`` carry only the fills they created;
``get()``, ``cancel()``, ``open_orders()`` and a repeated ``place()`` carry the order's whole fill
history. Either way a fill is identified by its ``exec_id``: record fills idempotently by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Any

from execdesk.domain.instrument import Instrument, InstrumentRuleError, to_decimal
from execdesk.domain.market import Level, Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import (
    ChildStatus,
    FillReport,
    OrderReport,
    OrderRequest,
    OrderType,
    Side,
    TimeInForce,
)
from execdesk.venues.paper_queue import QueueModel

STATE_VERSION = 1
FEE_QUANTUM = Decimal("0.00000001")
AVG_PRICE_QUANTUM = Decimal("0.00000001")
POST_ONLY_WOULD_TAKE = "post-only order would take liquidity"
_LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")  # Bybit's orderLinkId rule


@dataclass(frozen=True)
class PaperFees:
    """Bybit's standard (non-VIP) linear perpetual rates."""

    maker: Decimal = Decimal("0.0002")
    taker: Decimal = Decimal("0.00055")


@dataclass
class _Order:
    order_link_id: str
    seq: int
    symbol: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: Decimal
    price: Decimal | None
    placed_ts: float
    status: ChildStatus = ChildStatus.NEW
    reject_reason: str = ""
    queue_ahead: Decimal = Decimal(0)  # quantity ahead of us at our price (execdesk.venues.paper_queue)
    level_seen: Decimal | None = None  # the visible size at our price when the queue was last updated
    fills: list[FillReport] = field(default_factory=list)
    id_prefix: str = "paper-"

    @property
    def venue_order_id(self) -> str:
        return f"{self.id_prefix}{self.seq}"

    @property
    def filled(self) -> Decimal:
        return sum((f.qty for f in self.fills), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled

    def priority(self) -> tuple[Decimal, int]:
        """Price-time priority: the best-priced, then the oldest resting order fills first."""
        assert self.price is not None
        return (-self.price * self.side.sign, self.seq)


class PaperVenue:
    def __init__(self, fees: PaperFees | None = None, queue: QueueModel | None = None, *, id_prefix: str = "paper-",
                 first_seq: int = 1) -> None:
        """``id_prefix`` and ``first_seq`` number the venue's order ids (``paper-1``, ...): the desk's taker sends,
        each on a venue of its own (execdesk.desk.services.paper_takes), are numbered ``paper-t<child id>``.
        ``queue`` is the queue model of resting orders (execdesk.venues.paper_queue)."""
        self.fees = fees or PaperFees()
        self.queue = queue or QueueModel()
        self.id_prefix = id_prefix
        self._orders: dict[str, _Order] = {}
        self._open: dict[str, _Order] = {}  # the orders that were open when last looked at (closing is final)
        self._next_seq = first_seq

    # ------------------------------------------------------------------ orders

    def place(
        self, market: MatchableMarket, request: OrderRequest, instrument: Instrument, now: float
    ) -> OrderReport:
        existing = self._orders.get(request.order_link_id)
        if existing is not None:
            return self._report(existing, existing.fills)
        order = self._new_order(request, now)
        reason = _invalid_reason(market, request, instrument)
        if reason:
            order.status, order.reject_reason = ChildStatus.REJECTED, reason
        elif order.order_type is OrderType.POST_ONLY and _crosses(market, order, instrument):
            order.status, order.reject_reason = ChildStatus.REJECTED, POST_ONLY_WOULD_TAKE
        else:
            self._execute(market, order, instrument, now)
        if _LINK_ID.match(order.order_link_id):
            self._orders[order.order_link_id] = order
            if order.status.is_open:
                self._open[order.order_link_id] = order
        return self._report(order, order.fills)

    def cancel(self, order_link_id: str) -> OrderReport | None:
        order = self._orders.get(order_link_id)
        if order is None:
            return None
        if order.status.is_open:
            order.status = ChildStatus.CANCELLED
        return self._report(order, order.fills)

    def get(self, order_link_id: str) -> OrderReport | None:
        order = self._orders.get(order_link_id)
        return None if order is None else self._report(order, order.fills)

    @property
    def has_open_orders(self) -> bool:
        return bool(self._still_open())

    def open_orders(self) -> list[OrderReport]:
        return [self._report(o, o.fills) for o in self._still_open()]

    def _still_open(self) -> list[_Order]:
        """The open orders in the order they were placed; the closed ones leave the open set for good."""
        if any(not o.status.is_open for o in self._open.values()):
            self._open = {link: o for link, o in self._open.items() if o.status.is_open}
        return list(self._open.values())

    # ------------------------------------------------------------------ passive fills

    def on_trades(self, market: MatchableMarket, trades: list[Trade], instrument: Instrument) -> list[OrderReport]:
        """Fill resting orders from the prints at or through their price beyond the queue ahead, move each
        queue up by the cancellations the visible size shows, then fill those the book has walked across."""
        resting = [o for o in self._still_open() if o.symbol == market.symbol]
        if not resting:
            return []
        new_fills: dict[str, list[FillReport]] = {}
        printed: dict[str, Decimal] = {}
        for trade in trades:
            self._fill_from_print(trade, resting, instrument, new_fills, printed)
        self._update_queues(market, resting, instrument, printed)
        self._fill_crossed(market, resting, instrument, new_fills)
        for link, fills in new_fills.items():  # our passive buying and selling moves the price too
            market.absorb_passive_fill(self._orders[link].side, float(sum((f.qty for f in fills), Decimal(0))))
        return [self._report(self._orders[link], fills) for link, fills in new_fills.items()]

    def _fill_from_print(
        self,
        trade: Trade,
        resting: list[_Order],
        instrument: Instrument,
        new_fills: dict[str, list[FillReport]],
        printed_at: dict[str, Decimal],
    ) -> None:
        printed = instrument.price(trade.price)
        left = instrument.qty(trade.qty)
        # A sell print hits resting buys at or above it; a buy print lifts resting sells at or below.
        hit_side = Side.BUY if trade.side == Side.SELL.value else Side.SELL
        candidates = [
            o
            for o in resting
            if o.side is hit_side
            and o.remaining > 0
            and trade.ts > o.placed_ts
            and (o.price - printed) * hit_side.sign >= 0  # type: ignore[operator]
        ]
        for order in sorted(candidates, key=_Order.priority):
            if left <= 0:
                break
            # at or through our price, the queue ahead trades first: only the volume beyond it reaches us
            printed_at[order.order_link_id] = printed_at.get(order.order_link_id, Decimal(0)) + left
            usable = max(Decimal(0), left - order.queue_ahead)
            order.queue_ahead = max(Decimal(0), order.queue_ahead - left)
            qty = min(order.remaining, usable)
            if qty > 0:
                left -= qty
                self._add_maker_fill(order, qty, instrument, trade.ts, new_fills)

    def _update_queues(
        self,
        market: MatchableMarket,
        resting: list[_Order],
        instrument: Instrument,
        printed: dict[str, Decimal],
    ) -> None:
        """The visible size at each resting order's price now, against what it was and what traded there:
        what the level lost beyond the prints was cancelled, a share of it ahead of us."""
        waiting = [o for o in resting if o.remaining > 0 and o.price is not None]
        if not waiting:
            return
        ladders = _book_around(market, waiting, instrument)
        for order in waiting:
            visible = _level_size(ladders, order, instrument)
            seen = order.queue_ahead if order.level_seen is None else order.level_seen
            ahead = self.queue.after_cancels(
                order.queue_ahead, seen, printed.get(order.order_link_id, Decimal(0)), visible
            )
            order.queue_ahead = _step_up(ahead, instrument)
            order.level_seen = visible

    def _fill_crossed(
        self,
        market: MatchableMarket,
        resting: list[_Order],
        instrument: Instrument,
        new_fills: dict[str, list[FillReport]],
    ) -> None:
        """A resting order the book moved across was hit on the way: a maker fill at our price."""
        for order in sorted((o for o in resting if o.remaining > 0), key=_Order.priority):
            if not _crosses(market, order, instrument):
                continue
            assert order.price is not None
            taken = market.take(
                order.side, float(order.remaining), limit_price=float(order.price), impact=False
            )
            qty = min(order.remaining, sum((instrument.qty(q) for _, q in taken), Decimal(0)))
            if qty > 0:
                self._add_maker_fill(order, qty, instrument, market.ts, new_fills)

    def _add_maker_fill(
        self,
        order: _Order,
        qty: Decimal,
        instrument: Instrument,
        ts: float,
        new_fills: dict[str, list[FillReport]],
    ) -> None:
        assert order.price is not None
        fill = self._fill(order, qty, order.price, "maker", instrument, ts)
        new_fills.setdefault(order.order_link_id, []).append(fill)
        order.status = ChildStatus.FILLED if order.remaining == 0 else ChildStatus.PARTIALLY_FILLED

    # ------------------------------------------------------------------ execution on arrival

    def _new_order(self, request: OrderRequest, now: float) -> _Order:
        seq, self._next_seq = self._next_seq, self._next_seq + 1
        return _Order(
            order_link_id=request.order_link_id,
            seq=seq,
            symbol=request.symbol,
            side=Side(request.side),
            order_type=OrderType(request.order_type),
            tif=TimeInForce(request.tif),
            qty=to_decimal(request.qty),
            price=None if request.price is None else to_decimal(request.price),
            placed_ts=now,
            id_prefix=self.id_prefix,
        )

    def _execute(self, market: MatchableMarket, order: _Order, instrument: Instrument, now: float) -> None:
        if order.order_type is OrderType.POST_ONLY:  # Bybit's PostOnly is itself a TIF: it always rests
            self._rest(market, order, instrument)
            return
        limit = None if order.order_type is OrderType.MARKET else order.price
        if limit is None or _crosses(market, order, instrument):
            self._take(market, order, limit, instrument, now)
        if order.order_type is OrderType.MARKET or order.tif is TimeInForce.IOC:
            # Whatever the book could not give now is cancelled (Bybit: PartiallyFilledCanceled).
            order.status = ChildStatus.FILLED if order.remaining == 0 else ChildStatus.CANCELLED
        elif order.remaining == 0:
            order.status = ChildStatus.FILLED
        else:
            self._rest(market, order, instrument)

    def _take(
        self, market: MatchableMarket, order: _Order, limit: Decimal | None, instrument: Instrument, now: float
    ) -> None:
        limit_price = None if limit is None else float(limit)
        for price, qty in market.take(order.side, float(order.remaining), limit_price=limit_price):
            self._fill(order, instrument.qty(qty), instrument.price(price), "taker", instrument, now)

    def _rest(self, market: MatchableMarket, order: _Order, instrument: Instrument) -> None:
        order.status = ChildStatus.SUBMITTED if order.filled == 0 else ChildStatus.PARTIALLY_FILLED
        order.queue_ahead = _visible_queue(market, order, instrument)
        order.level_seen = order.queue_ahead

    def _fill(
        self, order: _Order, qty: Decimal, price: Decimal, liquidity: str, instrument: Instrument, ts: float
    ) -> FillReport:
        rate = self.fees.maker if liquidity == "maker" else self.fees.taker
        fill = FillReport(
            exec_id=f"{order.order_link_id}-{len(order.fills) + 1}",
            order_link_id=order.order_link_id,
            qty=qty,
            price=price,
            fee=(qty * price * rate).quantize(FEE_QUANTUM, rounding=ROUND_HALF_EVEN),
            fee_currency=instrument.quote_asset,
            liquidity=liquidity,
            ts=ts,
        )
        order.fills.append(fill)
        return fill

    def _report(self, order: _Order, fills: list[FillReport]) -> OrderReport:
        filled = order.filled
        avg = None
        if filled > 0:
            notional = sum((f.qty * f.price for f in order.fills), Decimal(0))
            avg = (notional / filled).quantize(AVG_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
        return OrderReport(
            order_link_id=order.order_link_id,
            venue_order_id=order.venue_order_id,
            status=order.status,
            filled_qty=filled,
            avg_price=avg,
            fills=tuple(fills),
            reject_reason=order.reject_reason,
        )

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict[str, Any]:
        """The open orders only. A closed order's report was handed out when it closed (by ``place``,
        ``cancel`` or ``on_trades``) and its owner keeps it (the desk's child order and fill rows): a store
        that kept every order would grow with every order ever sent and be re-read on every tick. A caller
        re-placing a closed order's link after a restore would place a new order: the desk sends a child
        order only while it is NEW, under its row lock."""
        return {
            "v": STATE_VERSION,
            "fees": {"maker": str(self.fees.maker), "taker": str(self.fees.taker)},
            "queue": {"exponent": self.queue.exponent},
            "next_seq": self._next_seq,
            "orders": [_order_to_state(o) for o in self._still_open()],
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> PaperVenue:
        if d.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported PaperVenue state version {d.get('v')!r}")
        queue = QueueModel(**d["queue"]) if "queue" in d else QueueModel()  # absent before the queue model
        venue = cls(PaperFees(maker=Decimal(d["fees"]["maker"]), taker=Decimal(d["fees"]["taker"])), queue)
        venue._next_seq = int(d["next_seq"])
        for data in d["orders"]:
            order = _order_from_state(data)
            venue._orders[order.order_link_id] = order
            if order.status.is_open:
                venue._open[order.order_link_id] = order
        return venue


# ---------------------------------------------------------------------- validation and matching


def _invalid_reason(market: MatchableMarket, request: OrderRequest, instrument: Instrument) -> str:
    if not _LINK_ID.match(request.order_link_id):
        return (
            f"order_link_id {request.order_link_id!r} must be 1-36 characters of letters, digits, '-' or '_'"
        )
    if request.symbol != instrument.symbol or market.symbol != instrument.symbol:
        return f"order symbol {request.symbol} does not match the {market.symbol} market"
    qty = to_decimal(request.qty)
    if qty <= 0:
        return f"quantity {qty} must be positive"
    if qty < instrument.min_qty:
        return f"quantity {qty} is below the minimum order quantity {instrument.min_qty}"
    if instrument.qty(qty) != qty:
        return f"quantity {qty} is not a multiple of the {instrument.qty_step} step"
    if request.order_type is not OrderType.MARKET:
        reason = _limit_price_reason(request, instrument)
        if reason:
            return reason
    try:
        instrument.check(qty, _notional_price(market, request, instrument))
    except InstrumentRuleError as exc:
        return str(exc)
    return ""


def _limit_price_reason(request: OrderRequest, instrument: Instrument) -> str:
    if request.price is None:
        return f"{request.order_type.value} order needs a limit price"
    price = to_decimal(request.price)
    if price <= 0:
        return f"price {price} must be positive"
    if instrument.price(price) != price:
        return f"price {price} is not on the {instrument.tick_size} tick"
    return ""


def _notional_price(market: MatchableMarket, request: OrderRequest, instrument: Instrument) -> Decimal:
    if request.price is not None and request.order_type is not OrderType.MARKET:
        return to_decimal(request.price)
    return instrument.price(market.best_ask if request.side is Side.BUY else market.best_bid)


def _crosses(market: MatchableMarket, order: _Order, instrument: Instrument) -> bool:
    """Would a limit at the order's price take liquidity from the current book?"""
    assert order.price is not None
    if order.side is Side.BUY:
        return order.price >= instrument.price(market.best_ask)
    return order.price <= instrument.price(market.best_bid)


def _visible_queue(market: MatchableMarket, order: _Order, instrument: Instrument) -> Decimal:
    return _level_size(_book_around(market, [order], instrument), order, instrument)


NEAR_LEVELS = 5  # the depth snapshots read (a market caches it): enough for orders this close to the touch


def _book_around(
    market: MatchableMarket, orders: list[_Order], instrument: Instrument
) -> tuple[list[Level], list[Level]]:
    """The ladders deep enough to show every order's price: the snapshot's five levels when each order is
    within five ticks of its touch (levels our trades emptied are skipped, so five non-empty levels span at
    least five ticks), the full ladder otherwise."""
    tick = float(instrument.tick_size)
    bid, ask = market.best_bid, market.best_ask
    for order in orders:
        touch = bid if order.side is Side.BUY else ask
        if (touch - float(order.price)) * order.side.sign >= (NEAR_LEVELS - 0.5) * tick:  # type: ignore[arg-type]
            return market.book()
    return market.book(NEAR_LEVELS)


def _step_up(qty: Decimal, instrument: Instrument) -> Decimal:
    """A quantity rounded up to the step: the queue ahead is never rounded in our favour."""
    units = (qty / instrument.qty_step).quantize(Decimal(1), rounding=ROUND_UP)
    return (units * instrument.qty_step).quantize(instrument.qty_step)


def _level_size(ladders: tuple[list[Level], list[Level]], order: _Order, instrument: Instrument) -> Decimal:
    """The visible size at the order's price (ours not included); beyond the ladder, its deepest level's;
    inside the spread, none."""
    bids, asks = ladders
    ladder = bids if order.side is Side.BUY else asks
    price, half_tick = float(order.price), float(instrument.tick_size) / 2  # type: ignore[arg-type]
    for level in ladder:
        if abs(level.price - price) < half_tick:
            return instrument.qty(level.qty)
    deepest = ladder[-1]
    beyond = (deepest.price - price) * order.side.sign > half_tick
    return instrument.qty(deepest.qty) if beyond else Decimal(0)


# ---------------------------------------------------------------------- state helpers


def _order_to_state(o: _Order) -> dict[str, Any]:
    return {
        "link": o.order_link_id,
        "seq": o.seq,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.order_type.value,
        "tif": o.tif.value,
        "qty": str(o.qty),
        "price": None if o.price is None else str(o.price),
        "placed_ts": o.placed_ts,
        "status": o.status.value,
        "reason": o.reject_reason,
        "queue_ahead": str(o.queue_ahead),
        "level_seen": None if o.level_seen is None else str(o.level_seen),
        "fills": [
            [f.exec_id, str(f.qty), str(f.price), str(f.fee), f.fee_currency, f.liquidity, f.ts]
            for f in o.fills
        ],
    }


def _order_from_state(d: dict[str, Any]) -> _Order:
    link = d["link"]
    return _Order(
        order_link_id=link,
        seq=int(d["seq"]),
        symbol=d["symbol"],
        side=Side(d["side"]),
        order_type=OrderType(d["type"]),
        tif=TimeInForce(d["tif"]),
        qty=Decimal(d["qty"]),
        price=None if d["price"] is None else Decimal(d["price"]),
        placed_ts=float(d["placed_ts"]),
        status=ChildStatus(d["status"]),
        reject_reason=d["reason"],
        queue_ahead=Decimal(d["queue_ahead"]),
        level_seen=None if d.get("level_seen") is None else Decimal(d["level_seen"]),  # absent before the queue model
        fills=[
            FillReport(
                exec_id=exec_id,
                order_link_id=link,
                qty=Decimal(qty),
                price=Decimal(price),
                fee=Decimal(fee),
                fee_currency=currency,
                liquidity=liquidity,
                ts=float(ts),
            )
            for exec_id, qty, price, fee, currency, liquidity, ts in d["fills"]
        ],
    )
