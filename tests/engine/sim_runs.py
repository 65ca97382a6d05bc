"""One order run two ways on the same seeded simulated market: through `manage.py execute --venue paper
--market sim` (the desk, on a simulated clock: time moved by time-machine, the headless run's wait between
ticks moving it by the tick, the tick equal to the order's interval as the backtest steps) and through the
backtest's step engine. Shared by the parity test and the one-IS test."""

from __future__ import annotations

import json
import time
from io import StringIO

import time_machine
from django.conf import settings
from django.core.management import call_command

from execdesk.backtest.execution import Execution, execute
from execdesk.backtest.markets import strategy_for
from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.desk.services.strategy import POV_RATE
from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.market.sim import SIM_PRESETS, SimMarket

T0 = 1_767_619_800.0  # the backtest's standard start, Monday 13:30 UTC
SYMBOL, QTY, HORIZON, INTERVAL = "BTCUSDT", "0.4", 120, 15


def desk_run(tmp_path, monkeypatch, strategy: str) -> dict:
    out = tmp_path / "desk.json"
    monkeypatch.setitem(settings.EXECDESK, "TICK_SECONDS", float(INTERVAL))
    with time_machine.travel(T0, tick=False) as traveller:
        monkeypatch.setattr(time, "sleep", lambda seconds: traveller.shift(seconds))
        monkeypatch.setattr(time, "monotonic", time.time)
        call_command("execute", "--symbol", SYMBOL, "--side", "buy", "--qty", QTY, "--horizon", str(HORIZON),
                     "--interval", str(INTERVAL), "--strategy", strategy, "--venue", "paper", "--market", "sim",
                     "--advisor", "none", "--approve", "auto", "--json", str(out), stdout=StringIO())
    return json.loads(out.read_text())


def backtest_run(strategy: str) -> Execution:
    price, params = SIM_PRESETS[SYMBOL]
    market = SimMarket.create(SYMBOL, seed=settings.EXECDESK["MARKET_SEED"], start_ts=T0, start_price=price,
                              params=params)
    spec = RunSpec(strategy=strategy, scenario="calm", seed=settings.EXECDESK["MARKET_SEED"],
                   order=OrderSpec(symbol=SYMBOL, quantity=float(QTY), horizon_s=HORIZON, interval_s=INTERVAL,
                                   start_ts=T0, pov_rate=POV_RATE,
                                   latency_s=0.0))  # the desk's paper venue is instantaneous
    instrument = SIM_INSTRUMENTS[SYMBOL]
    return execute(spec, market, instrument, strategy_for(spec, market, instrument))


