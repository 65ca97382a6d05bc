"""One order (same seed, same market, same strategy) run through `manage.py execute --venue paper --market
sim` and through the backtest's step engine gets the same child orders and fills: quantities, prices, order
types and times on the same simulated clock.

The desk runs on a simulated clock here: time itself is moved (time-machine), and the headless run's
wait between ticks moves it by the tick instead of sleeping. The desk's tick equals the order's interval, as
the backtest's clock steps one interval at a time."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from execdesk.backtest.execution import execute
from execdesk.backtest.markets import strategy_for
from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.market.sim import SIM_PRESETS, SimMarket

pytestmark = pytest.mark.django_db(transaction=True)  # the approval sends its child order on commit

T0 = 1_767_619_800.0  # the backtest's standard start, Monday 13:30 UTC
SYMBOL, QTY, HORIZON, INTERVAL = "BTCUSDT", "0.4", 120, 15


def _desk_run(tmp_path, monkeypatch, strategy: str) -> dict:
    out = tmp_path / "desk.json"
    monkeypatch.setitem(settings.EXECDESK, "TICK_SECONDS", float(INTERVAL))
    with time_machine.travel(T0, tick=False) as traveller:
        monkeypatch.setattr(time, "sleep", lambda seconds: traveller.shift(seconds))
        monkeypatch.setattr(time, "monotonic", time.time)
        call_command("execute", "--symbol", SYMBOL, "--side", "buy", "--qty", QTY, "--horizon", str(HORIZON),
                     "--interval", str(INTERVAL), "--strategy", strategy, "--venue", "paper", "--market", "sim",
                     "--advisor", "none", "--approve", "auto", "--json", str(out), stdout=StringIO())
    return json.loads(out.read_text())


def _backtest_run(strategy: str):
    price, params = SIM_PRESETS[SYMBOL]
    market = SimMarket.create(SYMBOL, seed=settings.EXECDESK["MARKET_SEED"], start_ts=T0, start_price=price,
                              params=params)
    spec = RunSpec(strategy=strategy, scenario="calm", seed=settings.EXECDESK["MARKET_SEED"],
                   order=OrderSpec(symbol=SYMBOL, quantity=float(QTY), horizon_s=HORIZON, interval_s=INTERVAL,
                                   start_ts=T0, latency_s=0.0))  # the desk's paper venue is instantaneous
    instrument = SIM_INSTRUMENTS[SYMBOL]
    return execute(spec, market, instrument, strategy_for(spec, market, instrument))


def _t(iso: str) -> float:
    return round(datetime.fromisoformat(iso).timestamp() - T0, 3)


@pytest.mark.parametrize("strategy", ["twap", "vwap", "is", "pov", "adaptive"])
def test_the_desk_and_the_backtest_send_the_same_child_orders_and_get_the_same_fills(tmp_path, monkeypatch,
                                                                                     strategy):
    desk = _desk_run(tmp_path, monkeypatch, strategy)
    run = _backtest_run(strategy)

    desk_children = [(_t(c["created_at"]), c["order_type"], c["tif"], Decimal(c["qty"]),
                      None if c["price"] is None else Decimal(c["price"])) for c in desk["child_orders"]]
    backtest_children = [(round(c.ts - T0, 3), c.request.order_type.value, c.request.tif.value,
                          Decimal(c.request.qty), c.request.price) for c in run.children]
    desk_fills = [(_t(f["ts"]), Decimal(f["qty"]), Decimal(f["price"]), f["liquidity"]) for f in desk["fills"]]
    backtest_fills = [(round(f.ts - T0, 3), Decimal(repr(f.qty)), Decimal(repr(f.price)), f.liquidity)
                      for f in run.fills]

    assert desk["parent"]["status"] == "COMPLETE"
    assert len(desk_children) > 3
    assert desk_children == backtest_children
    assert desk_fills == backtest_fills
