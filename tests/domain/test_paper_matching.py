from __future__ import annotations

import json
from decimal import Decimal

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Trade
from execdesk.domain.orders import ChildStatus, OrderReport, OrderRequest, OrderType, Side, TimeInForce
from execdesk.market.sim import SimMarket
from execdesk.venues.paper import POST_ONLY_WOULD_TAKE, PaperVenue

START = 1_767_225_600.0
TICK = BTCUSDT.tick_size


@pytest.fixture
def market() -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=11, start_ts=START)


@pytest.fixture
def venue() -> PaperVenue:
    return PaperVenue()


def order(
    link: str,
    side: Side,
    qty: str,
    price: Decimal | str | None = None,
    order_type: OrderType | None = None,
    tif: TimeInForce = TimeInForce.GTC,
) -> OrderRequest:
    kind = order_type or (OrderType.MARKET if price is None else OrderType.LIMIT)
    return OrderRequest(
        order_link_id=link,
        symbol="BTCUSDT",
        side=side,
        order_type=kind,
        qty=Decimal(qty),
        price=None if price is None else Decimal(price),
        tif=tif,
    )


def best_bid(market: SimMarket) -> Decimal:
    return BTCUSDT.price(market.best_bid)


def best_ask(market: SimMarket) -> Decimal:
    return BTCUSDT.price(market.best_ask)


def run(market: SimMarket, venue: PaperVenue, seconds: int) -> list[OrderReport]:
    reports: list[OrderReport] = []
    for _ in range(seconds):
        reports += venue.on_trades(market, market.advance_to(market.ts + 1), BTCUSDT)
    return reports


def test_market_order_walks_the_book_and_pays_taker_fee(market: SimMarket, venue: PaperVenue) -> None:
    asks = market.book()[1]

    report = venue.place(market, order("mkt-1", Side.BUY, "8"), BTCUSDT, market.ts)

    assert report.status is ChildStatus.FILLED
    assert report.filled_qty == Decimal("8")
    assert len(report.fills) >= 3
    assert [f.price for f in report.fills] == [BTCUSDT.price(lv.price) for lv in asks[: len(report.fills)]]
    assert report.avg_price is not None and report.avg_price > BTCUSDT.price(asks[0].price)
    for fill in report.fills:
        assert fill.liquidity == "taker"
        assert fill.fee_currency == "USDT"
        assert fill.ts == market.ts
        assert fill.fee == (fill.qty * fill.price * Decimal("0.00055")).quantize(Decimal("0.00000001"))
    assert venue.open_orders() == []


def test_sell_market_order_fills_at_the_bids(market: SimMarket, venue: PaperVenue) -> None:
    top_bid = BTCUSDT.price(market.book()[0][0].price)

    report = venue.place(market, order("mkt-s", Side.SELL, "3"), BTCUSDT, market.ts)

    assert report.status is ChildStatus.FILLED
    assert report.fills[0].price == top_bid
    assert all(f.price <= top_bid for f in report.fills)


def test_limit_below_market_rests_then_fills_as_maker_when_traded_through(
    market: SimMarket, venue: PaperVenue
) -> None:
    limit = best_bid(market) - 30 * TICK

    placed = venue.place(market, order("lim-1", Side.BUY, "0.4", limit), BTCUSDT, market.ts)
    assert placed.status is ChildStatus.SUBMITTED and placed.fills == ()
    assert [o.order_link_id for o in venue.open_orders()] == ["lim-1"]

    fills = []
    for _ in range(600):
        trades = market.advance_to(market.ts + 1)
        reports = venue.on_trades(market, trades, BTCUSDT)
        if reports:
            # it only fills once sellers print below it or the asks have come down to it
            assert min((t.price for t in trades if t.side == "sell"), default=1e12) < float(limit) or (
                best_ask(market) <= limit
            )
            fills += [f for r in reports for f in r.fills]
        if venue.get("lim-1").status is ChildStatus.FILLED:  # type: ignore[union-attr]
            break

    final = venue.get("lim-1")
    assert final is not None and final.status is ChildStatus.FILLED
    assert sum(f.qty for f in fills) == Decimal("0.4") == final.filled_qty
    assert all(f.liquidity == "maker" and f.price == limit for f in fills)
    assert all(f.fee == (f.qty * limit * Decimal("0.0002")).quantize(Decimal("0.00000001")) for f in fills)
    assert final.avg_price == limit
    assert venue.open_orders() == []


def test_limit_far_below_market_stays_resting(market: SimMarket, venue: PaperVenue) -> None:
    limit = BTCUSDT.price(market.mid * 0.9)
    venue.place(market, order("deep", Side.BUY, "1", limit), BTCUSDT, market.ts)

    reports = run(market, venue, 300)

    assert reports == []
    assert venue.get("deep").status is ChildStatus.SUBMITTED  # type: ignore[union-attr]


def test_prints_through_our_price_fill_us_up_to_the_printed_qty(market: SimMarket, venue: PaperVenue) -> None:
    limit = best_bid(market) + TICK  # inside the spread: nobody is ahead of us
    venue.place(market, order("inside", Side.BUY, "1", limit), BTCUSDT, market.ts)
    sell_below = Trade(ts=market.ts + 0.5, price=float(limit - TICK), qty=0.3, side="sell")
    buy_print = Trade(ts=market.ts + 0.6, price=float(limit - TICK), qty=5.0, side="buy")

    reports = venue.on_trades(market, [sell_below, buy_print], BTCUSDT)

    assert len(reports) == 1
    assert [(f.qty, f.price, f.liquidity) for f in reports[0].fills] == [(Decimal("0.300"), limit, "maker")]
    assert reports[0].status is ChildStatus.PARTIALLY_FILLED
    assert reports[0].filled_qty == Decimal("0.3")


def test_prints_at_our_price_fill_us_only_after_the_queue_ahead(market: SimMarket, venue: PaperVenue) -> None:
    touch = market.book()[0][0]
    limit = BTCUSDT.price(touch.price)
    queue = Decimal(str(touch.qty))
    venue.place(market, order("queued", Side.BUY, "1", limit), BTCUSDT, market.ts)

    def sell_print(qty: Decimal, offset: float) -> Trade:
        return Trade(ts=market.ts + offset, price=float(limit), qty=float(qty), side="sell")

    first = venue.on_trades(market, [sell_print(queue - Decimal("0.1"), 0.1)], BTCUSDT)
    second = venue.on_trades(market, [sell_print(Decimal("0.35"), 0.2)], BTCUSDT)

    assert first == []
    assert [f.qty for f in second[0].fills] == [Decimal("0.25")]


def test_prints_before_the_order_was_placed_do_not_fill_it(market: SimMarket, venue: PaperVenue) -> None:
    limit = best_bid(market) + TICK
    venue.place(market, order("late", Side.BUY, "1", limit), BTCUSDT, market.ts)
    earlier = Trade(ts=market.ts - 0.5, price=float(limit - TICK), qty=1.0, side="sell")

    assert venue.on_trades(market, [earlier], BTCUSDT) == []


def test_post_only_that_would_cross_is_rejected_with_the_reason(market: SimMarket, venue: PaperVenue) -> None:
    crossing = order("po-1", Side.BUY, "0.1", best_ask(market), OrderType.POST_ONLY)
    passive = order("po-2", Side.SELL, "0.1", best_ask(market) + TICK, OrderType.POST_ONLY)

    rejected = venue.place(market, crossing, BTCUSDT, market.ts)
    resting = venue.place(market, passive, BTCUSDT, market.ts)

    assert rejected.status is ChildStatus.REJECTED
    assert rejected.reject_reason == POST_ONLY_WOULD_TAKE == "post-only order would take liquidity"
    assert rejected.fills == () and rejected.filled_qty == 0
    assert resting.status is ChildStatus.SUBMITTED
    assert [o.order_link_id for o in venue.open_orders()] == ["po-2"]


def test_marketable_gtc_limit_takes_up_to_its_price_and_rests_the_rest(
    market: SimMarket, venue: PaperVenue
) -> None:
    limit = best_ask(market) + 2 * TICK

    report = venue.place(market, order("mgl", Side.BUY, "50", limit), BTCUSDT, market.ts)

    assert report.status is ChildStatus.PARTIALLY_FILLED
    assert 0 < report.filled_qty < Decimal("50")
    assert len(report.fills) == 3
    assert all(f.liquidity == "taker" and f.price <= limit for f in report.fills)
    assert [o.order_link_id for o in venue.open_orders()] == ["mgl"]


def test_ioc_limit_takes_what_is_marketable_and_cancels_the_rest(
    market: SimMarket, venue: PaperVenue
) -> None:
    limit = best_bid(market) - TICK
    request = order("ioc", Side.SELL, "40", limit, tif=TimeInForce.IOC)

    report = venue.place(market, request, BTCUSDT, market.ts)

    assert report.status is ChildStatus.CANCELLED
    assert 0 < report.filled_qty < Decimal("40")
    assert all(f.price >= limit for f in report.fills)
    assert venue.open_orders() == []


def test_replacing_the_same_order_link_id_yields_no_new_fills(market: SimMarket, venue: PaperVenue) -> None:
    first = venue.place(market, order("dup", Side.BUY, "2"), BTCUSDT, market.ts)
    book_after_first = market.to_state()

    again = venue.place(market, order("dup", Side.BUY, "2"), BTCUSDT, market.ts)

    assert again.venue_order_id == first.venue_order_id
    assert [f.exec_id for f in again.fills] == [f.exec_id for f in first.fills]
    assert again.filled_qty == first.filled_qty == Decimal("2")
    assert market.to_state() == book_after_first  # nothing was taken from the book the second time


def test_replacing_a_resting_order_does_not_add_a_second_one(market: SimMarket, venue: PaperVenue) -> None:
    limit = best_bid(market) - 10 * TICK
    first = venue.place(market, order("rest", Side.BUY, "0.5", limit), BTCUSDT, market.ts)

    again = venue.place(market, order("rest", Side.BUY, "0.5", limit), BTCUSDT, market.ts)

    assert again == first
    assert len(venue.open_orders()) == 1


def test_cancel_leaves_no_open_order_and_keeps_fills(market: SimMarket, venue: PaperVenue) -> None:
    limit = best_ask(market) + TICK
    placed = venue.place(market, order("cxl", Side.BUY, "30", limit), BTCUSDT, market.ts)

    cancelled = venue.cancel("cxl")
    later = run(market, venue, 120)

    assert cancelled is not None and cancelled.status is ChildStatus.CANCELLED
    assert cancelled.filled_qty == placed.filled_qty > 0
    assert venue.open_orders() == []
    assert later == []
    assert venue.cancel("cxl") == venue.get("cxl")
    assert venue.cancel("never-placed") is None


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (order("bad-tick", Side.BUY, "0.5", "65000.05"), "price 65000.05 is not on the 0.1 tick"),
        (
            order("small", Side.BUY, "0.0005", "65000.0"),
            "quantity 0.0005 is below the minimum order quantity 0.001",
        ),
        (order("step", Side.BUY, "0.0015", "65000.0"), "quantity 0.0015 is not a multiple of the 0.001 step"),
        (order("notional", Side.BUY, "0.001", "1000.0"), "notional 1.00 USDT is below the minimum 5 USDT"),
        (order("no-price", Side.BUY, "0.5", None, OrderType.LIMIT), "limit order needs a limit price"),
        (order("bad id!", Side.BUY, "0.5"), "order_link_id 'bad id!' must be 1-36 characters"),
    ],
)
def test_invalid_orders_are_rejected_with_a_clear_reason(
    market: SimMarket, venue: PaperVenue, request_: OrderRequest, reason: str
) -> None:
    report = venue.place(market, request_, BTCUSDT, market.ts)

    assert report.status is ChildStatus.REJECTED
    assert reason in report.reject_reason
    assert report.fills == ()
    assert venue.open_orders() == []


def test_rejected_order_link_id_stays_rejected(market: SimMarket, venue: PaperVenue) -> None:
    venue.place(market, order("once", Side.BUY, "0.5", "65000.05"), BTCUSDT, market.ts)

    again = venue.place(market, order("once", Side.BUY, "0.5"), BTCUSDT, market.ts)

    assert again.status is ChildStatus.REJECTED
    assert again.fills == ()


def test_exec_ids_are_unique_and_deterministic() -> None:
    def session() -> list[str]:
        market = SimMarket.create("BTCUSDT", seed=5, start_ts=START)
        venue = PaperVenue()
        ids = [f.exec_id for f in venue.place(market, order("a", Side.BUY, "6"), BTCUSDT, market.ts).fills]
        ids += [
            f.exec_id for f in venue.place(market, order("a-1", Side.SELL, "6"), BTCUSDT, market.ts).fills
        ]
        venue.place(market, order("b", Side.BUY, "0.8", best_bid(market) - TICK), BTCUSDT, market.ts)
        venue.place(market, order("c", Side.SELL, "0.8", best_ask(market) + TICK), BTCUSDT, market.ts)
        ids += [f.exec_id for r in run(market, venue, 300) for f in r.fills]
        return ids

    ids = session()

    assert len(ids) > 6
    assert len(set(ids)) == len(ids)
    assert session() == ids


def test_restored_venue_continues_identically(market: SimMarket, venue: PaperVenue) -> None:
    venue.place(market, order("r-buy", Side.BUY, "0.7", best_bid(market) - 5 * TICK), BTCUSDT, market.ts)
    venue.place(market, order("r-sell", Side.SELL, "0.7", best_ask(market) + 5 * TICK), BTCUSDT, market.ts)
    venue.place(market, order("r-mkt", Side.BUY, "1"), BTCUSDT, market.ts)
    state = json.loads(json.dumps({"market": market.to_state(), "venue": venue.to_state()}))
    market_copy, venue_copy = SimMarket.from_state(state["market"]), PaperVenue.from_state(state["venue"])

    assert venue_copy.open_orders() == venue.open_orders()
    assert run(market_copy, venue_copy, 300) == run(market, venue, 300)
    assert venue_copy.to_state() == venue.to_state()
    assert venue_copy.get("r-mkt") is None  # closed and reported: the state keeps open orders only
