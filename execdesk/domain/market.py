"""What every market feed (simulator, Bybit, replay) produces and everything else consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Level:
    price: float
    qty: float


@dataclass(frozen=True)
class Trade:
    ts: float
    price: float
    qty: float
    side: str  # aggressor side: "buy" or "sell"
    trade_id: str = ""  # the venue's id of the print (Bybit's `i`): a second delivery of it is recognised


@dataclass(frozen=True)
class MarketSnapshot:
    symbol: str
    ts: float
    mid: float
    best_bid: float
    best_ask: float
    bids: tuple[Level, ...]  # best first, 5 levels
    asks: tuple[Level, ...]
    last_trades: tuple[Trade, ...] = ()  # newest last, up to 10
    volume_1m: float = 0.0  # base quantity traded in the last 60 s
    volume_1h: float = 0.0
    volatility_1h: float = 0.0  # std-dev of 1-h log return, as a fraction (0.012 = 1.2 %)
    funding_rate: float = 0.0  # per 8 h, fraction (0.0001 = 0.01 %)
    oi_change_1h: float = 0.0  # open-interest change over 1 h, fraction
    stale: bool = False
    source: str = "sim"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def spread(self) -> float:
        return self.best_ask - self.best_bid

    @property
    def spread_bps(self) -> float:
        return (self.best_ask - self.best_bid) / self.mid * 1e4 if self.mid else 0.0

    @property
    def bid_depth(self) -> float:
        return sum(level.qty for level in self.bids)

    @property
    def ask_depth(self) -> float:
        return sum(level.qty for level in self.asks)

    @property
    def imbalance(self) -> float:
        """(bid − ask) / (bid + ask) depth over the visible levels, in [−1, 1]."""
        total = self.bid_depth + self.ask_depth
        return (self.bid_depth - self.ask_depth) / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["spread_bps"] = round(self.spread_bps, 4)
        data["bid_depth"] = self.bid_depth
        data["ask_depth"] = self.ask_depth
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketSnapshot:
        return cls(
            symbol=data["symbol"],
            ts=float(data["ts"]),
            mid=float(data["mid"]),
            best_bid=float(data["best_bid"]),
            best_ask=float(data["best_ask"]),
            bids=tuple(Level(float(lv["price"]), float(lv["qty"])) for lv in data["bids"]),
            asks=tuple(Level(float(lv["price"]), float(lv["qty"])) for lv in data["asks"]),
            last_trades=tuple(
                Trade(float(t["ts"]), float(t["price"]), float(t["qty"]), str(t["side"]), str(t.get("trade_id", "")))
                for t in data.get("last_trades", ())
            ),
            volume_1m=float(data.get("volume_1m", 0.0)),
            volume_1h=float(data.get("volume_1h", 0.0)),
            volatility_1h=float(data.get("volatility_1h", 0.0)),
            funding_rate=float(data.get("funding_rate", 0.0)),
            oi_change_1h=float(data.get("oi_change_1h", 0.0)),
            stale=bool(data.get("stale", False)),
            source=str(data.get("source", "sim")),
            extra=dict(data.get("extra", {})),
        )
