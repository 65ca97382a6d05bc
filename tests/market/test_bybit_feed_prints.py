"""Every public print the Bybit feed receives is handed on (`on_prints`) once, through the real pybit client
against the loopback Bybit v5 servers: more prints than the snapshot keeps, a second delivery of a print, a
malformed print among good ones (rejected and logged, the feed stays fresh), the prints a dropped
connection missed (read back over REST), and a consumer that fails for a while."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from execdesk.domain.market import Trade
from execdesk.market.bybit_feed import LAST_TRADES, BybitPublicFeed
from tests.loopback import fixtures
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.bybit_ws import BybitWsLoopbackServer, wait_until
from tests.loopback.fixtures import loopback_config, pybit_http

bybit_server = fixtures.bybit_server
bybit_ws_server = fixtures.bybit_ws_server


class Prints:
    """What the feed handed on, in order; `fail` makes the consumer raise (a buffer that is down)."""

    def __init__(self) -> None:
        self.trades: list[Trade] = []
        self.fail = False
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, symbol: str, trades: list[Trade]) -> None:
        self.calls += 1
        if self.fail:
            raise ConnectionError("the print buffer is down")
        assert symbol == "BTCUSDT"
        with self._lock:
            self.trades.extend(trades)

    def ids(self) -> list[str]:
        with self._lock:
            return [t.trade_id for t in self.trades]


@pytest.fixture
def feed_with_prints(
    bybit_server: BybitLoopbackServer, bybit_ws_server: BybitWsLoopbackServer
) -> Iterator[Callable[..., tuple[BybitPublicFeed, Prints]]]:
    feeds: list[BybitPublicFeed] = []

    def make(**options: object) -> tuple[BybitPublicFeed, Prints]:
        prints = Prints()
        settings: dict[str, object] = {"on_prints": prints, "publish_interval_s": 0.02,
                                       "watchdog_interval_s": 0.02, "reconnect_backoff_s": 0.05,
                                       "ping_interval_s": 1.0}
        settings.update(options)
        feed = BybitPublicFeed(loopback_config(bybit_server, bybit_ws_server), category="linear",
                               symbols=("BTCUSDT",), http=pybit_http(bybit_server), **settings)  # type: ignore[arg-type]
        feeds.append(feed)
        feed.start()
        assert feed.wait_ready(3), feed.stale_reason("BTCUSDT")
        return feed, prints

    yield make
    for feed in feeds:
        feed.stop()


def venue_ids(server: BybitLoopbackServer, n: int) -> list[str]:
    """The ids of the venue's last `n` public prints, oldest first."""
    return [str(t["execId"]) for t in reversed(list(server.venue.trades[("linear", "BTCUSDT")])[:n])]


def raw_trade(trade_id: str, price: str, size: str, *, side: str = "Buy", ms: int | None = None) -> dict:
    return {"T": ms if ms is not None else int(time.time() * 1000), "s": "BTCUSDT", "S": side, "v": size,
            "p": price, "L": "PlusTick", "i": trade_id, "BT": False}


def trade_message(*rows: dict) -> dict:
    return {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": int(time.time() * 1000), "data": list(rows)}


def test_every_print_is_handed_on_in_order_though_the_snapshot_keeps_ten(feed_with_prints, bybit_server):
    feed, prints = feed_with_prints()
    seeded = list(prints.ids())  # the first connection reads Bybit's recent prints over REST
    assert seeded == venue_ids(bybit_server, len(seeded)) and seeded
    for i in range(3 * LAST_TRADES):
        bybit_server.trade_through("BTCUSDT", str(65_000 + i), "0.01")
    published = venue_ids(bybit_server, 3 * LAST_TRADES)
    wait_until(lambda: prints.ids()[len(seeded):] == published, what="all thirty prints, in order")
    assert len(feed.snapshot("BTCUSDT").last_trades) == LAST_TRADES
    assert [t.price for t in prints.trades[len(seeded):]] == [65_000.0 + i for i in range(3 * LAST_TRADES)]


def test_a_print_delivered_twice_is_handed_on_once(feed_with_prints, bybit_ws_server):
    feed, prints = feed_with_prints()
    message = trade_message(raw_trade("dup-1", "65001", "0.2"), raw_trade("dup-2", "65002", "0.3"))
    bybit_ws_server.push_raw(message)
    bybit_ws_server.push_raw(message)
    bybit_ws_server.push_raw(trade_message(raw_trade("after-dup", "65003", "0.1")))
    wait_until(lambda: "after-dup" in prints.ids(), what="the print after the duplicate")
    assert [i for i in prints.ids() if i in ("dup-1", "dup-2", "after-dup")] == ["dup-1", "dup-2", "after-dup"]
    assert feed.errors == 0


def test_a_malformed_print_is_rejected_and_logged_and_the_others_kept(feed_with_prints, bybit_ws_server, caplog):
    feed, prints = feed_with_prints()
    bad = raw_trade("bad-1", "65001", "0.2") | {"p": "lots"}
    no_id = raw_trade("", "65001", "0.2")
    with caplog.at_level(logging.ERROR, logger="execdesk.market.bybit_feed"):
        bybit_ws_server.push_raw(trade_message(raw_trade("good-1", "65000", "0.1"), bad, no_id,
                                               raw_trade("good-2", "65002", "0.3")))
        wait_until(lambda: "good-2" in prints.ids(), what="the good prints")
    assert [i for i in prints.ids() if i.startswith(("good", "bad"))] == ["good-1", "good-2"]
    rejections = [r.getMessage() for r in caplog.records if "malformed public trade" in r.getMessage()]
    assert any("publicTrade.BTCUSDT.data[1].p='lots' is not a number" in m for m in rejections), rejections
    assert any("publicTrade.BTCUSDT.data[2].i='' is not a trade id" in m for m in rejections), rejections
    assert feed.errors == 2
    assert feed.stale_reason("BTCUSDT") == "" and feed.status("BTCUSDT").connections == 1  # no resync
    bybit_ws_server.push_raw({"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1, "data": "oops"})
    bybit_ws_server.push_raw(trade_message(raw_trade("good-3", "65003", "0.1")))
    wait_until(lambda: "good-3" in prints.ids(), what="a print after a message that is not a list")
    assert feed.errors == 3 and feed.status("BTCUSDT").connections == 1


def test_the_prints_a_dropped_connection_missed_are_read_back_once(feed_with_prints, bybit_server,
                                                                   bybit_ws_server):
    feed, prints = feed_with_prints(stale_after_s=0.3)
    bybit_server.trade_through("BTCUSDT", "65000", "0.01")
    wait_until(lambda: venue_ids(bybit_server, 1)[0] in prints.ids(), what="the streamed print")
    bybit_ws_server.silence("BTCUSDT")  # the socket stays open but carries nothing: the feed reconnects
    for i in range(4):
        bybit_server.trade_through("BTCUSDT", str(65_010 + i), "0.02")
    missed = venue_ids(bybit_server, 4)
    assert not set(missed) & set(prints.ids())
    wait_until(lambda: feed.status("BTCUSDT").connections >= 2, what="the reconnection")
    wait_until(lambda: set(missed) <= set(prints.ids()), what="the missed prints, read back over REST")
    bybit_ws_server.resume("BTCUSDT")
    ids = prints.ids()
    assert len(ids) == len(set(ids)), "the REST read overlaps the stream; each print is handed on once"


def test_a_failing_consumer_gets_the_prints_again_and_the_feed_goes_on(feed_with_prints, bybit_server, caplog):
    feed, prints = feed_with_prints()
    prints.fail = True
    calls = prints.calls
    for i in range(3):
        bybit_server.trade_through("BTCUSDT", str(65_000 + i), "0.01")
    published = venue_ids(bybit_server, 3)
    wait_until(lambda: prints.calls > calls + 2, what="the failing hand-offs")
    assert not set(published) & set(prints.ids())
    assert feed.stale_reason("BTCUSDT") == ""
    prints.fail = False
    wait_until(lambda: prints.ids()[-3:] == published, what="the prints, handed on again")
    assert sum("prints on failed; kept to retry" in r.getMessage() for r in caplog.records) == 1  # logged once
