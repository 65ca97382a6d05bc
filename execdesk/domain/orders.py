"""Order intents and venue reports shared by the paper venue, Bybit and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    POST_ONLY = "post_only"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"


class ChildStatus(StrEnum):
    NEW = "new"  # recorded, not yet sent
    SUBMITTED = "submitted"  # accepted by the venue, resting
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        return self in (ChildStatus.NEW, ChildStatus.SUBMITTED, ChildStatus.PARTIALLY_FILLED)


@dataclass(frozen=True)
class OrderRequest:
    order_link_id: str
    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None  # required for LIMIT and POST_ONLY
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False  # only reduce an open position (derivatives; a venue refuses it on spot)


@dataclass(frozen=True)
class FillReport:
    exec_id: str
    order_link_id: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str  # "maker" or "taker"
    ts: float


@dataclass(frozen=True)
class OrderReport:
    order_link_id: str
    venue_order_id: str
    status: ChildStatus
    filled_qty: Decimal
    avg_price: Decimal | None
    fills: tuple[FillReport, ...] = ()
    reject_reason: str = ""
