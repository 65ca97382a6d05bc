"""BybitPublicFeed through the real pybit WebSocket client against the loopback Bybit v5 WebSocket and REST
servers: the snapshot follows the venue's book, trades and ticker; every way a feed goes bad (sequence gap,
silence, dropped connection, malformed message, a failing consumer) is flagged stale with the reason and
recovered from without a crash."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.market.bybit_book import copy_book, open_interest_points, value_at_or_before
from execdesk.market.bybit_feed import BybitPublicFeed
from tests.loopback import bybit_market_data as md
from tests.loopback import fixtures
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.bybit_ws import BybitWsLoopbackServer, wait_until
from tests.loopback.fixtures import loopback_config, pybit_http

bybit_server = fixtures.bybit_server
bybit_ws_server = fixtures.bybit_ws_server

BOOK = "orderbook.50.BTCUSDT"


class Clock:
    """Real time plus an offset a test can push forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


FeedMaker = Callable[..., tuple[BybitPublicFeed, list[MarketSnapshot]]]


@pytest.fixture
def make_feed(
    bybit_server: BybitLoopbackServer, bybit_ws_server: BybitWsLoopbackServer
) -> Iterator[FeedMaker]:
    feeds: list[BybitPublicFeed] = []

    def make(
        *symbols: str, category: str = "linear", **options: object
    ) -> tuple[BybitPublicFeed, list[MarketSnapshot]]:
        published: list[MarketSnapshot] = []
        settings: dict[str, object] = {
            "on_snapshot": published.append,
            "publish_interval_s": 0.02,
            "watchdog_interval_s": 0.02,
            "reconnect_backoff_s": 0.05,
            "ping_interval_s": 1.0,
        }
        settings.update(options)
        feed = BybitPublicFeed(
            loopback_config(bybit_server, bybit_ws_server),
            category=category,
            symbols=symbols or ("BTCUSDT",),
            http=pybit_http(bybit_server),
            **settings,
        )  # type: ignore[arg-type]
        feeds.append(feed)
        feed.start()
        assert feed.wait_ready(3), feed.stale_reason(feed.symbols[0])
        return feed, published

    yield make
    for feed in feeds:
        feed.stop()


def venue_top(
    server: BybitLoopbackServer, symbol: str = "BTCUSDT", category: str = "linear"
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    book = server.venue.books[(category, symbol)]
    return tuple(Level(float(p), float(q)) for p, q in book.levels("b", 5)), tuple(
        Level(float(p), float(q)) for p, q in book.levels("a", 5)
    )


def market_buy(server: BybitLoopbackServer, link: str, qty: str = "0.5", symbol: str = "BTCUSDT") -> None:
    """An order through the real pybit REST client, as the desk sends it."""
    pybit_http(server).place_order(
        category="linear", symbol=symbol, side="Buy", orderType="Market", qty=qty, orderLinkId=link
    )


def fresh_after(feed: BybitPublicFeed, connections: int, symbol: str = "BTCUSDT") -> None:
    wait_until(
        lambda: feed.status(symbol).connections >= connections and not feed.stale_reason(symbol),
        what=f"{symbol} to be fresh again on connection {connections}",
    )


def stale_published(published: list[MarketSnapshot], fragment: str) -> MarketSnapshot:
    return wait_until(
        lambda: next((s for s in published if s.stale and fragment in s.extra.get("stale_reason", "")), None),
        what=f"a stale snapshot saying {fragment!r}",
    )


def test_the_first_snapshot_has_the_simulators_shape_and_the_venues_book(make_feed, bybit_server):
    feed, published = make_feed()
    snap = feed.snapshot("BTCUSDT")
    assert snap is not None and not snap.stale and snap.source == "bybit"
    assert (snap.bids, snap.asks) == venue_top(bybit_server)
    assert snap.mid == pytest.approx(65_000) and snap.best_bid == snap.bids[0].price
    assert "stale_reason" not in snap.extra and feed.stale_reason("BTCUSDT") == ""
    assert snap.volume_1h == pytest.approx(9000)  # the last 60 complete loopback 1-min klines
    assert snap.volatility_1h > 0 and snap.funding_rate == pytest.approx(0.0001)
    assert MarketSnapshot.from_dict(snap.to_dict()) == snap
    assert wait_until(lambda: published) and published[0].symbol == "BTCUSDT"


def test_deltas_keep_the_snapshot_on_the_venues_book_after_a_rest_order(make_feed, bybit_server):
    feed, _ = make_feed()
    before = feed.snapshot("BTCUSDT")
    market_buy(bybit_server, "feed-take-1")  # takes the three best asks
    after = wait_until(
        lambda: (s := feed.snapshot("BTCUSDT")) and s.extra["u"] > before.extra["u"] and s,
        what="the book delta",
    )
    assert after.extra["u"] == before.extra["u"] + 1
    assert (after.bids, after.asks) == venue_top(bybit_server)
    assert after.best_ask > before.best_ask and not after.stale


def test_our_copy_of_pybits_live_book_is_not_changed_by_later_deltas(make_feed, bybit_server):
    feed, _ = make_feed()
    first = feed.snapshot("BTCUSDT")
    kept = first.to_dict()
    market_buy(bybit_server, "feed-take-2")
    wait_until(lambda: feed.snapshot("BTCUSDT").extra["u"] > first.extra["u"], what="the delta")
    assert first.to_dict() == kept
    # and the copy itself: pybit keeps rewriting the lists it handed over, in place
    live = {
        "topic": BOOK,
        "ts": 1,
        "data": {"s": "BTCUSDT", "b": [["10", "1"], ["11", "2"]], "a": [["12", "3"]], "u": 7, "seq": 8},
    }
    copy = copy_book(live, "BTCUSDT")
    live["data"]["b"][0][1] = "99"
    live["data"]["a"].clear()
    assert copy.bids == (Level(11.0, 2.0), Level(10.0, 1.0)) and copy.asks == (Level(12.0, 3.0),)


def test_a_failing_consumer_does_not_stop_the_feed(make_feed, bybit_server):
    calls: list[MarketSnapshot] = []

    def explode(snap: MarketSnapshot) -> None:
        calls.append(snap)
        raise RuntimeError("consumer bug")

    feed, _ = make_feed(on_snapshot=explode)
    wait_until(lambda: calls, what="a first call")
    market_buy(bybit_server, "feed-take-3")
    wait_until(lambda: calls[-1].asks == venue_top(bybit_server)[1], what="the consumer to see the new book")
    assert feed.errors >= 2 and feed.status("BTCUSDT").connections == 1 and not feed.stale_reason("BTCUSDT")


def test_an_exception_inside_pybits_own_book_handling_is_caught_and_resynchronised(
    make_feed, bybit_ws_server
):
    feed, published = make_feed()
    u = feed.snapshot("BTCUSDT").extra["u"]
    # in sequence and well-formed, but deletes a level pybit does not have: pybit itself raises on it
    bybit_ws_server.push_raw(
        {
            "topic": BOOK,
            "type": "delta",
            "ts": 1,
            "cts": 1,
            "data": {"s": "BTCUSDT", "b": [["1.0", "0"]], "a": [], "u": u + 1, "seq": 1},
        }
    )
    stale = stale_published(published, "StopIteration")
    assert "orderbook.50.BTCUSDT" in stale.extra["stale_reason"]
    fresh_after(feed, 2)
    assert feed.errors >= 1


def test_a_sequence_gap_marks_stale_then_reconnects_and_resynchronises(
    make_feed, bybit_server, bybit_ws_server
):
    feed, published = make_feed()
    bybit_ws_server.skip_update_id("BTCUSDT")
    stale = stale_published(published, "sequence gap")
    assert "jumped from" in stale.extra["stale_reason"]
    fresh_after(feed, 2)
    assert len([c for c in bybit_ws_server.connections if BOOK in c.ever_subscribed]) == 2
    later = published.index(stale)
    wait_until(lambda: any(not s.stale for s in published[later:]), what="a fresh snapshot to be published")
    market_buy(bybit_server, "feed-after-gap")
    wait_until(
        lambda: (feed.snapshot("BTCUSDT").bids, feed.snapshot("BTCUSDT").asks) == venue_top(bybit_server),
        what="the resynchronised book to follow the venue",
    )


def test_silence_beyond_stale_after_marks_stale_and_fresh_data_clears_it(make_feed, bybit_ws_server):
    clock = Clock()
    feed, published = make_feed(clock=clock, stale_after_s=10.0)
    bybit_ws_server.silence("BTCUSDT")
    clock.offset = 11.0
    reason = wait_until(lambda: feed.stale_reason("BTCUSDT"), what="silence to be noticed")
    assert "no market data for" in reason and "stale after 10 s" in reason
    assert feed.snapshot("BTCUSDT").stale and feed.snapshot("BTCUSDT").extra["stale_reason"]
    stale_published(published, "no market data")
    wait_until(lambda: feed.status("BTCUSDT").connections == 2, what="a reconnect")
    assert feed.stale_reason("BTCUSDT")  # the new connection is as silent: still stale
    bybit_ws_server.resume("BTCUSDT")
    wait_until(lambda: not feed.stale_reason("BTCUSDT"), what="fresh data to clear the flag")
    assert not feed.snapshot("BTCUSDT").stale


def test_a_dropped_connection_is_rebuilt(make_feed, bybit_server, bybit_ws_server):
    feed, _ = make_feed()
    assert bybit_ws_server.drop_all() == 1
    fresh_after(feed, 2)
    assert len(bybit_ws_server.open_connections("/v5/public/linear")) == 1
    market_buy(bybit_server, "feed-after-drop")
    wait_until(
        lambda: feed.snapshot("BTCUSDT").asks == venue_top(bybit_server)[1], what="the book after reconnect"
    )


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not JSON"),
        (
            {
                "topic": BOOK,
                "type": "delta",
                "ts": 1,
                "data": {"s": "BTCUSDT", "b": [["abc", "1"]], "a": [], "u": 1},
            },
            "data.b[0] price='abc' is not a number",
        ),
        (
            {"topic": BOOK, "type": "delta", "ts": 1, "data": {"s": "BTCUSDT", "b": [], "a": []}},
            "data.u=None",
        ),
        (
            {
                "topic": "tickers.BTCUSDT",
                "type": "delta",
                "ts": 1,
                "cs": 1,
                "data": {"symbol": "BTCUSDT", "fundingRate": "soon"},
            },
            "data.fundingRate='soon' is not a number",
        ),
        ({"hello": "world"}, "neither topic nor op"),
    ],
)
def test_a_malformed_message_marks_stale_naming_the_field_and_the_feed_recovers(
    make_feed, bybit_ws_server, raw, fragment
):
    feed, published = make_feed()
    bybit_ws_server.push_raw(raw)
    stale_published(published, fragment)
    fresh_after(feed, 2)
    assert feed.errors >= 1


def test_trades_give_the_last_ten_prints_newest_last_and_the_one_minute_volume(make_feed, bybit_server):
    feed, _ = make_feed()
    for i in range(3):
        market_buy(bybit_server, f"feed-print-{i}", qty="0.01")
    venue_trades = list(bybit_server.venue.trades[("linear", "BTCUSDT")])  # newest first
    expected = [
        (float(t["price"]), float(t["size"]), str(t["side"]).lower()) for t in reversed(venue_trades[:10])
    ]

    def last_ten() -> list[tuple[float, float, str]]:
        return [(t.price, t.qty, t.side) for t in feed.snapshot("BTCUSDT").last_trades]

    wait_until(lambda: last_ten() == expected, what="the last ten prints")
    now = time.time()
    in_minute = sum(float(t["size"]) for t in venue_trades if int(str(t["time"])) / 1000 > now - 60)
    assert feed.snapshot("BTCUSDT").volume_1m == pytest.approx(in_minute)
    assert feed.snapshot("BTCUSDT").last_trades[-1].ts >= feed.snapshot("BTCUSDT").last_trades[0].ts


def test_funding_and_open_interest_change_come_from_the_ticker_against_an_hour_ago(make_feed, bybit_server):
    feed, _ = make_feed()
    history = md.open_interest(
        bybit_server.venue, {"category": "linear", "symbol": "BTCUSDT", "intervalTime": "5min", "limit": "15"}
    )
    hour_ago = value_at_or_before(open_interest_points(history), time.time() - 3600)
    assert feed.snapshot("BTCUSDT").oi_change_1h == pytest.approx(50_000 / hour_ago - 1)
    bybit_server.venue.set_open_interest("55000")
    bybit_server.venue.set_funding_rate(Decimal("-0.0003"))
    wait_until(
        lambda: feed.snapshot("BTCUSDT").funding_rate == pytest.approx(-0.0003), what="the funding delta"
    )
    assert feed.snapshot("BTCUSDT").oi_change_1h == pytest.approx(55_000 / hour_ago - 1)


def test_a_spot_feed_has_no_funding_and_says_so(make_feed, bybit_server):
    feed, _ = make_feed(category="spot")
    snap = feed.snapshot("BTCUSDT")
    assert (snap.bids, snap.asks) == venue_top(bybit_server, category="spot")
    assert snap.funding_rate == 0.0 and snap.oi_change_1h == 0.0
    assert {"funding_rate", "oi_change_1h"} <= set(snap.extra["unavailable"])
    assert feed.url.endswith("/v5/public/spot")


def test_add_symbol_subscribes_a_new_symbol(make_feed, bybit_server, bybit_ws_server):
    feed, _ = make_feed()
    assert feed.snapshot("ETHUSDT") is None
    feed.add_symbol("ETHUSDT")
    feed.add_symbol("ETHUSDT")  # already followed: nothing new
    wait_until(lambda: (s := feed.snapshot("ETHUSDT")) and not s.stale, what="the ETHUSDT snapshot")
    assert feed.snapshot("ETHUSDT").mid == pytest.approx(3400)
    assert (feed.snapshot("ETHUSDT").bids, feed.snapshot("ETHUSDT").asks) == venue_top(
        bybit_server, "ETHUSDT"
    )
    assert [
        len(bybit_ws_server.subscribers(f"{t}.ETHUSDT")) for t in ("orderbook.50", "publicTrade", "tickers")
    ] == [1, 1, 1]
    assert feed.symbols == ["BTCUSDT", "ETHUSDT"]


def test_stop_ends_the_feeds_threads_and_sockets(make_feed, bybit_ws_server):
    feed, _ = make_feed()
    feed.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("bybit-feed")]
    wait_until(lambda: not bybit_ws_server.open_connections(), what="the socket to close")


def test_bad_arguments_are_refused_with_the_reason(bybit_server, bybit_ws_server):
    config = loopback_config(bybit_server, bybit_ws_server)
    with pytest.raises(ValueError, match="category must be one of linear, spot"):
        BybitPublicFeed(config, category="option", symbols=[], http=pybit_http(bybit_server))
    with pytest.raises(ValueError, match="upper-case Bybit symbol"):
        BybitPublicFeed(config, category="linear", symbols=["btc-usdt"], http=pybit_http(bybit_server))
    with pytest.raises(ValueError, match="stale_after_s must be a positive"):
        BybitPublicFeed(config, category="linear", symbols=[], http=pybit_http(bybit_server), stale_after_s=0)
