"""One order (same seed, same market, same strategy) run through `manage.py execute --venue paper --market
sim` and through the backtest's step engine gets the same child orders and fills: quantities, prices, order
types and times on the same simulated clock.

The desk runs on a simulated clock here: time itself is moved (time-machine), and the headless run's
wait between ticks moves it by the tick instead of sleeping. The desk's tick equals the order's interval, as
the backtest's clock steps one interval at a time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.engine.sim_runs import T0, backtest_run, desk_run

pytestmark = pytest.mark.django_db(transaction=True)  # the approval sends its child order on commit


def _t(iso: str) -> float:
    return round(datetime.fromisoformat(iso).timestamp() - T0, 3)


@pytest.mark.parametrize("strategy", ["twap", "vwap", "is", "pov", "adaptive"])
def test_the_desk_and_the_backtest_send_the_same_child_orders_and_get_the_same_fills(tmp_path, monkeypatch,
                                                                                     strategy):
    desk = desk_run(tmp_path, monkeypatch, strategy)
    run = backtest_run(strategy)

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
