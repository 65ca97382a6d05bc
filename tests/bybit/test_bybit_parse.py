from __future__ import annotations

import copy
import math
from decimal import Decimal
from typing import Any

import pytest

from execdesk.bybit.parse import (
    BybitPayloadError,
    book_levels,
    hourly_volumes_from_klines,
    instrument_from_info,
    instrument_limits_from_info,
    klines_from_result,
    snapshot_from_rest,
    trades_from_recent,
)
from execdesk.domain.instrument import InstrumentRuleError
from execdesk.domain.strategies.vwap import VolumeCurve

# Shapes and values from Bybit's v5 docs (docs/v5/market/*): instruments-info, orderbook, recent-trade,
# kline, tickers, open-interest.
LINEAR_BTC: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "contractType": "LinearPerpetual",
    "status": "Trading",
    "baseCoin": "BTC",
    "quoteCoin": "USDT",
    "launchTime": "1585526400000",
    "deliveryTime": "0",
    "deliveryFeeRate": "",
    "priceScale": "2",
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {
        "maxOrderQty": "1190.000",
        "minOrderQty": "0.001",
        "qtyStep": "0.001",
        "postOnlyMaxOrderQty": "1190.000",
        "maxMktOrderQty": "500.000",
        "minNotionalValue": "5",
    },
    "fundingInterval": 480,
    "settleCoin": "USDT",
}
SPOT_BTC: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "baseCoin": "BTC",
    "quoteCoin": "USDT",
    "innovation": "0",
    "status": "Trading",
    "marginTrading": "utaOnly",
    "lotSizeFilter": {
        "basePrecision": "0.000001",
        "quotePrecision": "0.0000001",
        "minOrderQty": "0.000011",
        "maxOrderQty": "83",
        "minOrderAmt": "5",
        "maxOrderAmt": "8000000",
        "maxLimitOrderQty": "83",
        "maxMarketOrderQty": "41.5",
    },
    "priceFilter": {"tickSize": "0.1"},
}
LINEAR_ETH: dict[str, Any] = copy.deepcopy(LINEAR_BTC) | {"symbol": "ETHUSDT", "baseCoin": "ETH"}
LINEAR_ETH["priceFilter"] = {"minPrice": "0.01", "maxPrice": "199999.98", "tickSize": "0.01"}
LINEAR_ETH["lotSizeFilter"] = {
    "maxOrderQty": "7240.00",
    "minOrderQty": "0.01",
    "qtyStep": "0.01",
    "maxMktOrderQty": "3620.00",
    "minNotionalValue": "5",
}
SPOT_ETH: dict[str, Any] = copy.deepcopy(SPOT_BTC) | {"symbol": "ETHUSDT", "baseCoin": "ETH"}
SPOT_ETH["lotSizeFilter"] = SPOT_ETH["lotSizeFilter"] | {"basePrecision": "0.00001", "minOrderQty": "0.00062"}
SPOT_ETH["priceFilter"] = {"tickSize": "0.01"}

BOOK_TS_MS = 1_716_863_719_031
NOW = BOOK_TS_MS / 1000 + 0.5
ORDERBOOK: dict[str, Any] = {
    "s": "BTCUSDT",
    "b": [
        ["65485.4", "47.081"],
        ["65485.3", "0.5"],
        ["65485.0", "1.2"],
        ["65484.1", "3"],
        ["65483.9", "0.8"],
        ["65483.0", "9"],
    ],
    "a": [
        ["65485.5", "16.606"],
        ["65485.6", "0.2"],
        ["65486.0", "2.5"],
        ["65487.2", "1"],
        ["65488.0", "4.4"],
        ["65489.0", "7"],
    ],
    "ts": BOOK_TS_MS,
    "u": 230704,
    "seq": 1432604333,
    "cts": 1716863718905,
}


def trade(i: int, ms: int, side: str = "Buy", price: str = "65485.5", size: str = "0.012") -> dict[str, Any]:
    return {
        "execId": f"21000000000077642{i:02d}",
        "symbol": "BTCUSDT",
        "price": price,
        "size": size,
        "side": side,
        "time": str(ms),
        "isBlockTrade": False,
    }


# newest first, as Bybit sends: 12 prints over the last ~70 s
TRADES: dict[str, Any] = {
    "category": "linear",
    "list": [
        trade(i, BOOK_TS_MS - i * 6_000, "Buy" if i % 2 else "Sell", size=f"0.0{i + 1:02d}")
        for i in range(12)
    ],
}
TICKER: dict[str, Any] = {
    "category": "linear",
    "list": [
        {
            "symbol": "BTCUSDT",
            "lastPrice": "65485.5",
            "markPrice": "65485.1",
            "prevPrice1h": "65100.0",
            "openInterest": "55000.5",
            "openInterestValue": "3601700000",
            "fundingRate": "0.0001",
            "nextFundingTime": "1716864000000",
            "predictedDeliveryPrice": "",
            "basisRate": "",
            "bid1Price": "65485.4",
            "bid1Size": "47.081",
            "ask1Price": "65485.5",
            "ask1Size": "16.606",
        }
    ],
}


def minute_klines(count: int, *, end_ms: int, closes: list[float] | None = None) -> dict[str, Any]:
    """`count` 1-min klines, the newest starting at end_ms - 60 s (complete at NOW), newest first."""
    first = end_ms - count * 60_000
    first -= first % 60_000
    rows = []
    for k in range(count):
        close = closes[k] if closes else 65000.0 + k
        rows.append(
            [
                str(first + k * 60_000),
                str(close),
                str(close + 5),
                str(close - 5),
                str(close),
                f"{1 + k % 3}.5",
                "1000",
            ]
        )
    return {"symbol": "BTCUSDT", "category": "linear", "list": rows[::-1]}


# ------------------------------------------------------------------------------------------ instruments


@pytest.mark.parametrize(
    ("item", "category", "tick", "step", "min_qty", "min_notional"),
    [
        (LINEAR_BTC, "linear", "0.10", "0.001", "0.001", "5"),
        (LINEAR_ETH, "linear", "0.01", "0.01", "0.01", "5"),
        (SPOT_BTC, "spot", "0.1", "0.000001", "0.000011", "5"),
        (SPOT_ETH, "spot", "0.01", "0.00001", "0.00062", "5"),
    ],
)
def test_instruments_info_gives_tick_step_minimums(
    item: dict[str, Any], category: str, tick: str, step: str, min_qty: str, min_notional: str
) -> None:
    instrument = instrument_from_info(item, category)

    assert instrument.symbol == item["symbol"]
    assert (instrument.tick_size, instrument.qty_step) == (Decimal(tick), Decimal(step))
    assert (instrument.min_qty, instrument.min_notional) == (Decimal(min_qty), Decimal(min_notional))
    assert (instrument.base_asset, instrument.quote_asset) == (item["baseCoin"], "USDT")


def test_quantisation_follows_the_parsed_rules_for_spot_and_linear() -> None:
    linear = instrument_from_info(LINEAR_BTC, "linear")
    spot = instrument_from_info(SPOT_BTC, "spot")
    eth = instrument_from_info(LINEAR_ETH, "linear")

    assert str(linear.qty("0.12345")) == "0.123"
    assert str(spot.qty("0.12345678")) == "0.123456"
    assert str(linear.passive_price("65485.47", "buy")) == "65485.40"
    assert str(eth.passive_price("3012.345", "sell")) == "3012.35"
    with pytest.raises(InstrumentRuleError, match="below the minimum"):
        linear.check(Decimal("0.001"), Decimal("4000"))  # 4 USDT < minNotionalValue 5


def test_spot_without_the_deprecated_min_order_qty_uses_one_base_precision_step() -> None:
    item = copy.deepcopy(SPOT_BTC)
    del item["lotSizeFilter"]["minOrderQty"]
    assert instrument_from_info(item, "spot").min_qty == Decimal("0.000001")
    item["lotSizeFilter"]["minOrderQty"] = ""
    assert instrument_from_info(item, "spot").min_qty == Decimal("0.000001")


def test_instrument_limits_give_status_and_maximum_sizes() -> None:
    linear = instrument_limits_from_info(LINEAR_BTC, "linear")
    spot = instrument_limits_from_info(SPOT_BTC, "spot")

    assert linear.trading and (linear.max_limit_qty, linear.max_market_qty) == (
        Decimal("1190"),
        Decimal("500"),
    )
    assert spot.trading and (spot.max_limit_qty, spot.max_market_qty) == (Decimal("83"), Decimal("41.5"))
    assert not instrument_limits_from_info(LINEAR_BTC | {"status": "Settling"}, "linear").trading


def broken(item: dict[str, Any], section: str, key: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(item)
    if value is None:
        del out[section][key]
    else:
        out[section][key] = value
    return out


@pytest.mark.parametrize(
    ("item", "category", "error"),
    [
        (
            broken(LINEAR_BTC, "lotSizeFilter", "qtyStep", None),
            "linear",
            r"lotSizeFilter\.qtyStep is missing",
        ),
        (
            broken(LINEAR_BTC, "lotSizeFilter", "qtyStep", ""),
            "linear",
            r"lotSizeFilter\.qtyStep is an empty string",
        ),
        (
            broken(LINEAR_BTC, "priceFilter", "tickSize", "abc"),
            "linear",
            r"priceFilter\.tickSize='abc' is not a number",
        ),
        (
            broken(LINEAR_BTC, "priceFilter", "tickSize", "0"),
            "linear",
            r"priceFilter\.tickSize='0' must be positive",
        ),
        (
            broken(LINEAR_BTC, "lotSizeFilter", "minOrderQty", "-0.001"),
            "linear",
            r"minOrderQty='-0.001' must be",
        ),
        (
            broken(LINEAR_BTC, "lotSizeFilter", "minNotionalValue", None),
            "linear",
            r"minNotionalValue is missing",
        ),
        (
            broken(LINEAR_BTC, "lotSizeFilter", "minNotionalValue", "NaN"),
            "linear",
            r"minNotionalValue='NaN' is not finite",
        ),
        (
            broken(SPOT_BTC, "lotSizeFilter", "basePrecision", None),
            "spot",
            r"lotSizeFilter\.basePrecision is missing",
        ),
        (
            broken(SPOT_BTC, "lotSizeFilter", "minOrderAmt", ""),
            "spot",
            r"lotSizeFilter\.minOrderAmt is an empty string",
        ),
        (
            LINEAR_BTC | {"priceFilter": None},
            "linear",
            r"instrument BTCUSDT\.priceFilter: expected an object",
        ),
        (LINEAR_BTC | {"symbol": ""}, "linear", r"instrument\.symbol is empty"),
        (LINEAR_BTC, "option", r"category='option' is not supported"),
    ],
)
def test_a_malformed_instrument_names_the_field(item: dict[str, Any], category: str, error: str) -> None:
    with pytest.raises(BybitPayloadError, match=error):
        instrument_from_info(item, category)


# ----------------------------------------------------------------------------------------------- book


def test_book_levels_take_the_top_five_best_first() -> None:
    bids, asks = book_levels(ORDERBOOK)

    assert len(bids) == len(asks) == 5
    assert (bids[0].price, bids[0].qty) == (65485.4, 47.081)
    assert (asks[0].price, asks[0].qty) == (65485.5, 16.606)
    assert [b.price for b in bids] == sorted((b.price for b in bids), reverse=True)
    assert len(book_levels(ORDERBOOK, depth=2)[1]) == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"b": [["65486.0", "1"]]}, r"orderbook is crossed: best bid 65486.0 >= best ask 65485.5"),
        ({"b": [["65485.5", "1"]]}, r"orderbook is crossed"),
        ({"a": []}, r"orderbook\.a is empty"),
        ({"a": None}, r"orderbook\.a: expected a list"),
        ({"b": [["", "1"]]}, r"orderbook\.b\[0\] price is an empty string"),
        ({"b": [["-1", "1"]]}, r"orderbook\.b\[0\] price='-1' must be positive"),
        ({"a": [["65490", "x"]]}, r"orderbook\.a\[0\] size='x' is not a number"),
        ({"a": [["65490", "inf"]]}, r"orderbook\.a\[0\] size='inf' is not finite"),
        ({"a": [["65490"]]}, r"orderbook\.a\[0\]: expected \[price, size\]"),
        (
            {"a": [["65490", "1"], ["65489", "1"]]},
            r"orderbook\.a\[1\] price 65489.0 breaks the ascending order",
        ),
    ],
)
def test_a_malformed_book_names_the_field(change: dict[str, Any], error: str) -> None:
    with pytest.raises(BybitPayloadError, match=error):
        book_levels(ORDERBOOK | change)


def test_a_book_without_a_side_names_it() -> None:
    book = dict(ORDERBOOK)
    del book["b"]
    with pytest.raises(BybitPayloadError, match=r"orderbook\.b is missing"):
        book_levels(book)


# --------------------------------------------------------------------------------------------- trades


def test_recent_trades_become_domain_trades_oldest_first_in_seconds() -> None:
    trades = trades_from_recent(TRADES)

    assert len(trades) == 12
    assert [t.ts for t in trades] == sorted(t.ts for t in trades)
    newest = trades[-1]
    assert (newest.ts, newest.price, newest.qty, newest.side) == (BOOK_TS_MS / 1000, 65485.5, 0.001, "sell")
    assert trades[-2].side == "buy"


def test_prints_of_the_same_millisecond_keep_their_order() -> None:
    same = {"list": [trade(1, 1000, size="0.2"), trade(0, 1000, size="0.1")]}  # newest first
    assert [t.qty for t in trades_from_recent(same)] == [0.1, 0.2]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"side": "buy"}, r"recent-trade\.list\[0\]\.side='buy' is not 'Buy' or 'Sell'"),
        ({"price": ""}, r"recent-trade\.list\[0\]\.price is an empty string"),
        ({"price": "-5"}, r"recent-trade\.list\[0\]\.price='-5' must be positive"),
        ({"size": "0"}, r"recent-trade\.list\[0\]\.size='0' must be positive"),
        ({"time": "12.5"}, r"recent-trade\.list\[0\]\.time='12.5' is not a millisecond timestamp"),
    ],
)
def test_a_malformed_trade_names_the_field(change: dict[str, Any], error: str) -> None:
    with pytest.raises(BybitPayloadError, match=error):
        trades_from_recent({"list": [trade(0, 1000) | change]})


def test_a_trade_without_time_names_it() -> None:
    row = trade(0, 1000)
    del row["time"]
    with pytest.raises(BybitPayloadError, match=r"recent-trade\.list\[0\]\.time is missing"):
        trades_from_recent({"list": [row]})


# --------------------------------------------------------------------------------------------- klines

HOUR0_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def hourly(count: int) -> dict[str, Any]:
    rows = [
        [str(HOUR0_MS + h * 3_600_000), "65000", "65100", "64900", "65050", f"{100 + h}.5", "1"]
        for h in range(count)
    ]
    return {"symbol": "BTCUSDT", "category": "linear", "list": rows[::-1]}


def test_hourly_klines_become_oldest_first_start_volume_pairs_for_vwap() -> None:
    volumes = hourly_volumes_from_klines(hourly(30))

    assert volumes[0] == (HOUR0_MS / 1000, 100.5)
    assert volumes[-1] == (HOUR0_MS / 1000 + 29 * 3600, 129.5)
    curve = VolumeCurve.from_hourly_volumes(volumes)
    assert curve.weight_between(HOUR0_MS / 1000, HOUR0_MS / 1000 + 86_400) == pytest.approx(1.0)


def test_the_hour_in_progress_is_dropped_when_now_is_given() -> None:
    now = HOUR0_MS / 1000 + 4 * 3600 + 120  # two minutes into the fifth hour
    volumes = hourly_volumes_from_klines(hourly(5), now=now)
    assert [ts for ts, _ in volumes] == [HOUR0_MS / 1000 + h * 3600 for h in range(4)]


def test_one_minute_klines_are_refused_as_hourly_volumes() -> None:
    with pytest.raises(BybitPayloadError, match="not on a whole hour: expected interval=60"):
        hourly_volumes_from_klines(minute_klines(5, end_ms=HOUR0_MS + 600_000))


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (["1767225600000", "65000", "65100", "64900", "65050"], r"kline\.list\[0\]: expected \[start"),
        (
            ["1767225600000", "65000", "65100", "64900", "65050", "-1", "1"],
            r"kline\.list\[0\] volume='-1' must be",
        ),
        (
            ["1767225600000", "", "65100", "64900", "65050", "1", "1"],
            r"kline\.list\[0\] open is an empty string",
        ),
        (["1767225600000", "65000", "64000", "64900", "65050", "1", "1"], r"outside low\.\.high"),
        (["x", "65000", "65100", "64900", "65050", "1", "1"], r"kline\.list\[0\] startTime='x'"),
    ],
)
def test_a_malformed_kline_names_the_field(row: list[str], error: str) -> None:
    with pytest.raises(BybitPayloadError, match=error):
        klines_from_result({"list": [row]})


def test_duplicate_kline_start_times_are_refused() -> None:
    row = ["1767225600000", "65000", "65100", "64900", "65050", "1", "1"]
    with pytest.raises(BybitPayloadError, match="two klines starting at 1767225600000"):
        klines_from_result({"list": [row, list(row)]})


# ------------------------------------------------------------------------------------------- snapshot

OPEN_INTEREST: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "category": "linear",
    "list": [
        {
            "openInterest": f"{50000 + 50 * k}.00000000",
            "timestamp": str(BOOK_TS_MS - BOOK_TS_MS % 300_000 - (12 - k) * 300_000),
        }
        for k in range(12, -1, -1)
    ],
    "nextPageCursor": "",
}


def test_snapshot_from_rest_has_the_book_trades_volumes_volatility_funding_and_oi() -> None:
    closes = [65000.0 * math.exp(0.001 * ((k * 7) % 5 - 2)) for k in range(70)]
    klines = minute_klines(70, end_ms=BOOK_TS_MS, closes=closes)

    snap = snapshot_from_rest("BTCUSDT", ORDERBOOK, TRADES, TICKER, klines, OPEN_INTEREST, now=NOW)

    assert snap.source == "bybit" and snap.symbol == "BTCUSDT" and snap.ts == NOW and not snap.stale
    assert (snap.best_bid, snap.best_ask, snap.mid) == (65485.4, 65485.5, pytest.approx(65485.45))
    assert snap.spread_bps == pytest.approx(0.1 / 65485.45 * 1e4)
    assert len(snap.bids) == len(snap.asks) == 5
    assert len(snap.last_trades) == 10 and snap.last_trades[-1].ts == BOOK_TS_MS / 1000
    # prints at 0, 6, ..., 54 s before the book: ten inside the last 60 s, sizes 0.001 .. 0.010
    assert snap.volume_1m == pytest.approx(sum((i + 1) / 1000 for i in range(10)))
    assert snap.extra["volume_1m_source"] == "trades"
    complete = klines_from_result(klines)
    assert snap.volume_1h == pytest.approx(sum(k.volume for k in complete[-60:]))
    log_returns = [math.log(b / a) for a, b in zip(closes[-61:-1], closes[-60:], strict=True)]
    mean = sum(log_returns) / 60
    expected = math.sqrt(sum((r - mean) ** 2 for r in log_returns) / 59) * math.sqrt(60)
    assert snap.volatility_1h == pytest.approx(expected)
    assert snap.funding_rate == 0.0001
    assert snap.oi_change_1h == pytest.approx(55000.5 / 50000.0 - 1)
    assert "unavailable" not in snap.extra
    assert type(snap).from_dict(snap.to_dict()) == snap  # survives the Redis/websocket round trip


def test_without_klines_or_oi_history_the_missing_figures_read_zero_and_say_why() -> None:
    short_tape = {"list": TRADES["list"][:3]}  # 12 s of prints: not enough for a 1-min volume
    spot_ticker = {
        "list": [
            {"symbol": "BTCUSDT", "bid1Price": "65485.4", "ask1Price": "65485.5", "lastPrice": "65485.5"}
        ]
    }

    snap = snapshot_from_rest("BTCUSDT", ORDERBOOK, short_tape, spot_ticker, now=NOW, category="spot")

    assert (snap.volume_1m, snap.volume_1h, snap.volatility_1h, snap.funding_rate, snap.oi_change_1h) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert snap.extra["unavailable"] == [
        "funding_rate",
        "oi_change_1h",
        "volatility_1h",
        "volume_1h",
        "volume_1m",
    ]
    assert "fundingRate" in snap.extra["unavailable_reasons"]["funding_rate"]


def test_volume_1m_falls_back_to_the_last_complete_minute() -> None:
    klines = minute_klines(3, end_ms=BOOK_TS_MS)
    snap = snapshot_from_rest("BTCUSDT", ORDERBOOK, {"list": TRADES["list"][:3]}, TICKER, klines, now=NOW)

    assert snap.volume_1m == klines_from_result(klines)[-1].volume
    assert snap.extra["volume_1m_source"] == "last complete 1-min kline"


def test_an_old_book_makes_the_snapshot_stale() -> None:
    snap = snapshot_from_rest(
        "BTCUSDT", ORDERBOOK, TRADES, TICKER, now=BOOK_TS_MS / 1000 + 30, stale_after_s=5
    )
    assert snap.stale


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"orderbook": ORDERBOOK | {"s": "ETHUSDT"}}, r"orderbook\.s='ETHUSDT' is not BTCUSDT"),
        ({"ticker": {"list": [{"symbol": "ETHUSDT"}]}}, r"tickers\.list has no entry for BTCUSDT"),
        (
            {"ticker": {"list": [TICKER["list"][0] | {"fundingRate": "n/a"}]}},
            r"fundingRate='n/a' is not a number",
        ),
        (
            {"trades": {"list": [trade(0, BOOK_TS_MS) | {"symbol": "ETHUSDT"}]}},
            r"recent-trade\.list\[0\]\.symbol",
        ),
        ({"orderbook": ORDERBOOK | {"a": [["65480", "1"]]}}, r"orderbook is crossed"),
    ],
)
def test_snapshot_refuses_inconsistent_payloads_by_name(args: dict[str, Any], error: str) -> None:
    payloads: dict[str, Any] = {"orderbook": ORDERBOOK, "trades": TRADES, "ticker": TICKER} | args
    with pytest.raises(BybitPayloadError, match=error):
        snapshot_from_rest("BTCUSDT", payloads["orderbook"], payloads["trades"], payloads["ticker"], now=NOW)
