"""Instrument definitions of the loopback Bybit venue and their instruments-info JSON, shaped as the
Bybit v5 docs show it (spot: basePrecision/minOrderAmt; linear: qtyStep/minNotionalValue)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CATEGORIES = ("spot", "linear")


def fmt(value: Decimal) -> str:
    """Bybit sends every number as a plain decimal string ("65000", "0.001"), never in exponent form."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Instrument:
    """Trading rules of one symbol in one category. For spot `qty_step` is Bybit's basePrecision and
    `min_notional` its minOrderAmt; for linear they are qtyStep and minNotionalValue."""

    category: str
    symbol: str
    base_coin: str
    quote_coin: str
    tick_size: Decimal
    qty_step: Decimal
    min_order_qty: Decimal
    max_order_qty: Decimal
    min_notional: Decimal
    max_mkt_order_qty: Decimal
    quote_precision: Decimal = Decimal("0.00000001")

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}, got {self.category!r}")
        for name in ("tick_size", "qty_step", "min_order_qty", "max_order_qty", "max_mkt_order_qty"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.min_notional < 0:
            raise ValueError(f"min_notional must be >= 0, got {self.min_notional}")

    def info(self) -> dict[str, object]:
        """One entry of `result.list` in GET /v5/market/instruments-info."""
        if self.category == "spot":
            return {
                "symbol": self.symbol,
                "baseCoin": self.base_coin,
                "quoteCoin": self.quote_coin,
                "innovation": "0",
                "status": "Trading",
                "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {
                    "basePrecision": fmt(self.qty_step),
                    "quotePrecision": fmt(self.quote_precision),
                    "minOrderQty": fmt(self.min_order_qty),
                    "maxOrderQty": fmt(self.max_order_qty),
                    "minOrderAmt": fmt(self.min_notional),
                    "maxOrderAmt": "8000000",
                },
                "priceFilter": {"tickSize": fmt(self.tick_size)},
                "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
            }
        return {
            "symbol": self.symbol,
            "contractType": "LinearPerpetual",
            "status": "Trading",
            "baseCoin": self.base_coin,
            "quoteCoin": self.quote_coin,
            "launchTime": "1585526400000",
            "deliveryTime": "0",
            "deliveryFeeRate": "",
            "priceScale": str(max(0, -self.tick_size.normalize().as_tuple().exponent)),
            "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
            "priceFilter": {
                "minPrice": fmt(self.tick_size),
                "maxPrice": "1999999.80",
                "tickSize": fmt(self.tick_size),
            },
            "lotSizeFilter": {
                "maxOrderQty": fmt(self.max_order_qty),
                "minOrderQty": fmt(self.min_order_qty),
                "qtyStep": fmt(self.qty_step),
                "postOnlyMaxOrderQty": fmt(self.max_order_qty),
                "maxMktOrderQty": fmt(self.max_mkt_order_qty),
                "minNotionalValue": fmt(self.min_notional),
            },
            "unifiedMarginTrade": True,
            "fundingInterval": 480,
            "settleCoin": self.quote_coin,
            "copyTrading": "both",
            "upperFundingRate": "0.005",
            "lowerFundingRate": "-0.005",
            "isPreListing": False,
            "preListingInfo": None,
        }


def default_instruments() -> list[Instrument]:
    """BTCUSDT and ETHUSDT in spot and linear, with the rules Bybit publishes for them."""
    d = Decimal
    return [
        Instrument(
            "linear", "BTCUSDT", "BTC", "USDT", d("0.1"), d("0.001"), d("0.001"), d("1190"), d("5"), d("119")
        ),
        Instrument(
            "linear", "ETHUSDT", "ETH", "USDT", d("0.01"), d("0.01"), d("0.01"), d("7240"), d("5"), d("724")
        ),
        Instrument(
            "spot",
            "BTCUSDT",
            "BTC",
            "USDT",
            d("0.01"),
            d("0.000001"),
            d("0.000048"),
            d("71"),
            d("5"),
            d("71"),
        ),
        Instrument(
            "spot",
            "ETHUSDT",
            "ETH",
            "USDT",
            d("0.01"),
            d("0.00001"),
            d("0.00062"),
            d("1229"),
            d("5"),
            d("1229"),
        ),
    ]


# Seed mids for the deterministic books (tests move them with BybitVenue.seed_book).
DEFAULT_MIDS = {"BTCUSDT": Decimal("65000"), "ETHUSDT": Decimal("3400")}
