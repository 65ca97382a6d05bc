"""One venue gateway protocol: the paper venue on the simulator, on a replayed tape, and Bybit satisfy it,
and the step engine asks only it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pybit.unified_trading import HTTP

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side, TimeInForce
from execdesk.domain.risk import RiskLimits
from execdesk.engine.clock import SimClock
from execdesk.engine.loop import OrderPlan, StepEngine
from execdesk.market.sim import SimMarket
from execdesk.venues.bybit import BybitVenue
from execdesk.venues.bybit_gateway import BybitGateway
from execdesk.venues.gateway import ExecutionClient, PaperGateway

START = 1_767_225_600.0


def _paper() -> PaperGateway:
    return PaperGateway(SimMarket.create("BTCUSDT", seed=5, start_ts=START), BTCUSDT)


def _resting(link: str, gateway: PaperGateway) -> OrderRequest:
    price = BTCUSDT.price(gateway.market.best_bid) - 40 * BTCUSDT.tick_size
    return OrderRequest(order_link_id=link, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT,
                        qty=Decimal("0.01"), price=price, tif=TimeInForce.GTC)


def test_the_paper_and_bybit_gateways_are_execution_clients() -> None:
    bybit = BybitGateway(BybitVenue(HTTP(testnet=True), instruments={"BTCUSDT": BTCUSDT}),
                         snapshots=lambda symbol: _paper().snapshot(symbol))
    assert isinstance(_paper(), ExecutionClient)
    assert isinstance(bybit, ExecutionClient)
    assert _paper().fills_on_advance and not bybit.fills_on_advance
    assert bybit.instrument("BTCUSDT") is BTCUSDT


def test_the_paper_gateway_places_reports_and_cancels_all() -> None:
    gateway = _paper()
    first = gateway.place(_resting("g-1", gateway), now=START)
    gateway.place(_resting("g-2", gateway), now=START)
    assert first.status is ChildStatus.SUBMITTED
    assert [r.order_link_id for r in gateway.open_orders()] == ["g-1", "g-2"]

    cancelled = gateway.cancel_all("BTCUSDT")

    assert [r.status for r in cancelled] == [ChildStatus.CANCELLED, ChildStatus.CANCELLED]
    assert gateway.open_orders() == []
    assert gateway.order_report("g-1").status is ChildStatus.CANCELLED


def test_advancing_the_paper_gateway_returns_the_prints_and_the_reports() -> None:
    gateway = _paper()
    moved = gateway.advance(START + 60)
    assert moved.trades and moved.reports == ()  # nothing of ours rests: no report


def test_the_step_engine_refuses_a_venue_whose_fills_it_cannot_drive() -> None:
    bybit = BybitGateway(BybitVenue(HTTP(testnet=True)), snapshots=lambda symbol: _paper().snapshot(symbol))
    plan = OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=1.0, horizon_s=60, interval_s=15)
    with pytest.raises(ValueError, match="fills do not follow a clock"):
        StepEngine(gateway=bybit, clock=SimClock(START), plan=plan, instrument=BTCUSDT, limits=RiskLimits(),
                   decide=lambda ctx: None, listener=None, link_prefix="x")  # type: ignore[arg-type]
