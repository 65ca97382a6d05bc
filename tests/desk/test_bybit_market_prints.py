"""A Bybit order's market prints on the desk, end to end as embedded mode runs it: the real pybit public
feed against the loopback Bybit WebSocket server hands every print to the print buffer, and the desk's
tick keeps those in its orders' windows as MarketPrint rows, once each; the order's TCA then has the
market VWAP and interval TWAP of those prints, ours excluded."""

from __future__ import annotations

import logging
import math
import time
from decimal import Decimal

import pytest

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import Fill, MarketPrint, ParentOrder
from execdesk.desk.services.execution import desk_tick
from execdesk.desk.services.parent_orders import parent_order_cancel
from execdesk.desk.services.proposals import proposal_override
from execdesk.market.bybit_feed import LAST_TRADES
from tests.loopback.bybit_ws import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SYMBOL = "BTCUSDT"


def venue_prints(rest, n: int) -> list[dict]:
    """The loopback venue's last `n` public prints, oldest first."""
    return list(reversed(list(rest.venue.trades[("linear", SYMBOL)])[:n]))


def publish(rest, prints: list[tuple[str, str]]) -> list[dict]:
    """Market prints at (price, qty) through the loopback venue, pushed on publicTrade; returns their rows."""
    for price, qty in prints:
        rest.trade_through(SYMBOL, price, qty)
    return venue_prints(rest, len(prints))


def buffered(n: int) -> None:
    """Wait until the feed has handed `n` prints to the buffer the next tick takes."""
    wait_until(lambda: bybit_link.link().prints.pending(SYMBOL) == n, timeout=10,
               what=f"{n} prints in the buffer (have {bybit_link.link().prints.pending(SYMBOL)})")


def stored_ids() -> list[str]:
    return list(MarketPrint.objects.filter(venue="bybit", symbol=SYMBOL).order_by("ts", "id")
                .values_list("trade_id", flat=True))


def start_order(rest, make_order) -> ParentOrder:
    """A working Bybit order whose feed is live and whose first tick took the prints read at connection."""
    parent = make_order(venue="bybit", quantity="0.5")
    last = str(venue_prints(rest, 1)[0]["execId"])

    def read_recent() -> bool:  # the feed read Bybit's recent prints over REST once subscribed
        snapshot = bybit_link.link().store.get(SYMBOL)
        return snapshot is not None and any(t.trade_id == last for t in snapshot.last_trades)

    wait_until(read_recent, timeout=10, what="the feed's first snapshot with the recent prints")
    time.sleep(0.3)  # the feed hands prints on every 0.1 s
    desk_tick()
    assert bybit_link.link().prints.pending(SYMBOL) == 0
    return parent


def trade_row(trade_id: str, price: str, size: str) -> dict:
    return {"T": int(time.time() * 1000), "s": SYMBOL, "S": "Buy", "v": size, "p": price, "L": "PlusTick",
            "i": trade_id, "BT": False}


def test_every_print_between_two_ticks_is_kept_once_and_only_in_the_orders_window(bybit_live_desk, make_order,
                                                                                 caplog):
    rest, ws = bybit_live_desk
    before = publish(rest, [("64990", "0.4"), ("64991", "0.6")])
    time.sleep(0.01)
    parent = start_order(rest, make_order)
    assert stored_ids() == [], "the prints before the order started are outside its window"

    inside = publish(rest, [(str(65_000 + i), f"0.0{1 + i % 9}") for i in range(3 * LAST_TRADES)])
    twice = {"topic": f"publicTrade.{SYMBOL}", "type": "snapshot", "ts": int(time.time() * 1000),
             "data": [trade_row("twice-1", "65040", "0.3")]}
    ws.push_raw(twice)
    ws.push_raw(twice)  # a second delivery of the same print
    with caplog.at_level(logging.ERROR, logger="execdesk.market.bybit_feed"):
        ws.push_raw({**twice, "data": [trade_row("good-1", "65041", "0.1"),
                                       trade_row("bad-1", "65042", "0.1") | {"S": "Up"},
                                       trade_row("good-2", "65043", "0.2")]})
        buffered(len(inside) + 3)
    assert any("publicTrade.BTCUSDT.data[1].S='Up' is not 'Buy' or 'Sell'" in r.getMessage()
               for r in caplog.records), "the malformed print is rejected naming the field"

    desk_tick()  # one tick for all of them: three times what the snapshot keeps

    expected = [str(p["execId"]) for p in inside] + ["twice-1", "good-1", "good-2"]
    assert stored_ids() == expected
    assert not set(stored_ids()) & {str(p["execId"]) for p in before}
    row = MarketPrint.objects.get(trade_id=str(inside[3]["execId"]))
    assert (row.price, row.qty, row.side) == (Decimal("65003"), Decimal("0.04"), "sell")
    assert row.ts.timestamp() == pytest.approx(int(str(inside[3]["time"])) / 1000, abs=1e-6)

    parent_order_cancel(parent_id=parent.pk, user=parent.created_by, reason="done")
    ended_at = ParentOrder.objects.get(pk=parent.pk).ended_at
    time.sleep(0.01)
    after = publish(rest, [("65100", "1.0")])
    buffered(1)
    desk_tick()
    assert after[0]["execId"] not in stored_ids(), "a print after the order's end is outside its window"
    assert stored_ids() == expected and ended_at is not None
    desk_tick()
    assert stored_ids() == expected, "a tick with nothing new stores nothing"


def test_a_bybit_orders_market_vwap_and_twap_are_those_of_the_prints_in_its_window(bybit_live_desk, make_order,
                                                                                   alice):
    rest, ws = bybit_live_desk
    parent = start_order(rest, make_order)
    wait_until(lambda: bybit_link.link().private_stream and bybit_link.link().private_stream[0].connected,
               timeout=10, what="the private stream")
    proposal = wait_until(lambda: parent.proposals.filter(status="pending").first(), timeout=10,
                          what="the first proposal")
    ours_before = len(rest.venue.trades[("linear", SYMBOL)])
    proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="market",
                      reason="take liquidity now")
    [fill] = wait_until(lambda: list(Fill.objects.filter(parent=parent)), timeout=10, what="the streamed fill")
    our_prints = len(rest.venue.trades[("linear", SYMBOL)]) - ours_before
    assert our_prints >= 1, "our market order printed on the public tape"

    market = publish(rest, [("65010", "0.5"), ("65030", "1.5"), ("64990", "0.25"), ("65050", "0.75")])
    buffered(our_prints + len(market))
    parent_order_cancel(parent_id=parent.pk, user=alice, reason="enough")
    late = publish(rest, [("66000", "9")])  # after the end: not in the window
    buffered(our_prints + len(market) + len(late))

    desk_tick()  # the prints reach the desk after the order ended: its TCA is refreshed with them

    parent = ParentOrder.objects.get(pk=parent.pk)
    tca = parent.tca
    qty = [float(p["size"]) for p in market]
    px = [float(p["price"]) for p in market]
    vwap = math.fsum(q * p for q, p in zip(qty, px, strict=True)) / math.fsum(qty)
    assert vwap == pytest.approx((0.5 * 65_010 + 1.5 * 65_030 + 0.25 * 64_990 + 0.75 * 65_050) / 3.0)
    assert tca["market_vwap"] == pytest.approx(vwap, rel=1e-12), "ours excluded, the late print outside"
    assert tca["market_volume"] == pytest.approx(3.0)
    ts = [int(str(p["time"])) / 1000 for p in market]
    end = parent.ended_at.timestamp()
    twap = math.fsum(p * (nxt - t) for p, t, nxt in zip(px, ts, [*ts[1:], end], strict=True)) / (end - ts[0])
    assert tca["market_twap"] == pytest.approx(twap, rel=1e-12)
    avg = float(fill.price)
    assert tca["vwap_slippage_bps"] == pytest.approx((avg - vwap) / vwap * 1e4, abs=1e-4)  # 4 decimals
    assert MarketPrint.objects.filter(venue="bybit", trade_id=str(late[0]["execId"])).count() == 0
