"""A PostOnly Bybit cancels for taking liquidity is placed once more at our own touch, under a derived
orderLinkId, and rests; the report names the order it replaced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.rest import http_client
from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side
from execdesk.market.bybit import BybitMarketData
from execdesk.venues.bybit import BybitVenue
from tests.loopback.bybit_server import BybitLoopbackServer


def make_venue(server: BybitLoopbackServer) -> BybitVenue:
    config = BybitConfig.from_env({
        "EXECDESK_BYBIT_REST_URL": server.url,
        "EXECDESK_BYBIT_API_KEY": server.api_key,
        "EXECDESK_BYBIT_API_SECRET": server.api_secret,
    })
    http = http_client(config, timeout_s=2.0)
    return BybitVenue(http, instruments={"BTCUSDT": BybitMarketData(http).instrument("BTCUSDT")},
                      sleep=lambda s: None)


@pytest.mark.parametrize(
    ("side", "price", "touch"),
    [(Side.BUY, "65000.5", "64999.9"), (Side.SELL, "64999.5", "65000.1")],
)
def test_crossing_post_only_is_repriced_at_our_touch_and_rests(
    bybit_server: BybitLoopbackServer, side: Side, price: str, touch: str
) -> None:
    venue = make_venue(bybit_server)
    report = venue.place(OrderRequest("po-1", "BTCUSDT", side, OrderType.POST_ONLY, Decimal("0.01"), Decimal(price)))
    assert report.repriced_from == "po-1"
    assert report.order_link_id == "po-1-r1"
    assert report.status is ChildStatus.SUBMITTED
    first, second = bybit_server.venue.order("po-1"), bybit_server.venue.order("po-1-r1")
    assert (first.status, first.reject_reason) == ("Cancelled", "EC_PostOnlyWillTakeLiquidity")
    assert (second.status, second.price, second.time_in_force) == ("New", Decimal(touch), "PostOnly")
    assert bybit_server.venue.executions == []  # a post-only never takes


def test_non_crossing_post_only_rests_unchanged(bybit_server: BybitLoopbackServer) -> None:
    venue = make_venue(bybit_server)
    report = venue.place(OrderRequest("po-2", "BTCUSDT", Side.BUY, OrderType.POST_ONLY, Decimal("0.01"),
                                      Decimal("64999.9")))
    assert (report.status, report.repriced_from, report.order_link_id) == (ChildStatus.SUBMITTED, None, "po-2")
    assert len(bybit_server.venue.orders) == 1


def test_repriced_order_link_id_stays_within_36_characters_and_is_idempotent(
    bybit_server: BybitLoopbackServer,
) -> None:
    venue = make_venue(bybit_server)
    link = "p" * 36
    request = OrderRequest(link, "BTCUSDT", Side.BUY, OrderType.POST_ONLY, Decimal("0.01"), Decimal("65001"))
    report = venue.place(request)
    assert report.order_link_id == "p" * 33 + "-r1"
    again = venue.place(request)  # a retried proposal finds both orders instead of making new ones
    assert again.order_link_id == report.order_link_id and again.venue_order_id == report.venue_order_id
    assert len(bybit_server.venue.orders) == 2
