"""Time the execution loop's hot path on the embedded database: one desk tick (advance the market,
expire proposals) plus one execution step for each working parent order the tick says is due.

    .venv/bin/python bench/desk_tick.py --orders 20 --ticks 30
    .venv/bin/python bench/desk_tick.py --orders 20 --ticks 30 --closed 2500 --interval 30

`--closed N` first sends N market orders through the BTCUSDT paper venue (all filled, so closed), as a
desk that has been trading for a while has; `--interval` is the orders' decision interval.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=60)
    parser.add_argument("--closed", type=int, default=0, help="closed paper orders sent before the run")
    parser.add_argument("--interval", type=int, default=5, help="the orders' decision interval, seconds")
    parser.add_argument("--mode", default="autopilot", choices=["manual", "autopilot"],
                        help="autopilot: every step that is due proposes, approves, sends and fills")
    args = parser.parse_args()
    for key in ("EXECDESK_DATABASE_URL", "EXECDESK_REDIS_URL"):
        os.environ.pop(key, None)
    os.environ["EXECDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="execdesk-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from rich.progress import track

    from execdesk.celery import app
    from execdesk.desk.access.setup_roles import ensure_roles
    from execdesk.desk.models import AuditEvent, Fill, MarketState, Proposal
    from execdesk.desk.services.execution import desk_tick, execution_step
    from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

    app.conf.task_always_eager = True  # child orders are submitted inline, as the worker would
    call_command("migrate", verbosity=0)
    ensure_roles()
    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    user.groups.add(Group.objects.get(name="trader"))
    if args.closed:
        _send_closed(args.closed)
    ids = []
    for _ in track(range(args.orders), description="creating orders"):
        parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy", quantity="1", horizon_seconds=3600,
                                     interval_seconds=args.interval, approval_mode=args.mode)
        parent_order_start(parent_id=parent.pk, user=user)
        ids.append(parent.pk)
    tick_ms, step_ms, cycle_ms, stepped = [], [], [], 0
    for _ in track(range(args.ticks), description="ticking"):
        t0 = time.perf_counter()
        due = desk_tick()
        tick_ms.append((time.perf_counter() - t0) * 1000)
        for pk in due:
            t1 = time.perf_counter()
            execution_step(parent_id=pk)
            step_ms.append((time.perf_counter() - t1) * 1000)
            stepped += 1
        cycle_ms.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.2)
    q = statistics.quantiles
    print(f"orders={args.orders} ticks={args.ticks} mode={args.mode} proposals={Proposal.objects.count()} "
          f"fills={Fill.objects.count()} audit events={AuditEvent.objects.count()}")
    print(f"desk_tick      p50 {statistics.median(tick_ms):7.2f} ms   p95 {q(tick_ms, n=20)[18]:7.2f} ms")
    print(f"execution_step p50 {statistics.median(step_ms):7.2f} ms   p95 {q(step_ms, n=20)[18]:7.2f} ms")
    print(f"steps run: {stepped} over {args.ticks} ticks ({stepped / args.ticks:.1f} per tick for {len(ids)} orders)")
    print(f"one full cycle (tick + the due steps) p50 {statistics.median(cycle_ms):7.2f} ms   "
          f"p95 {q(cycle_ms, n=20)[18]:7.2f} ms")
    state = MarketState.objects.get(symbol="BTCUSDT").state
    print(f"BTCUSDT paper market row: {len(json.dumps(state)):,} bytes, "
          f"{len(state['venue']['orders'])} paper orders kept")


def _send_closed(n: int) -> None:
    """N filled market orders through the BTCUSDT paper venue, straight into its store."""
    from decimal import Decimal

    from execdesk.desk.services.atomic import desk_atomic
    from execdesk.desk.services.market import market_load
    from execdesk.domain.orders import OrderRequest, OrderType, Side, TimeInForce

    with desk_atomic():
        loaded = market_load("BTCUSDT")
        for k in range(n):
            side = Side.BUY if k % 2 == 0 else Side.SELL  # round trips: the price stays where it was
            request = OrderRequest(order_link_id=f"closed-{k}", symbol="BTCUSDT", side=side,
                                   order_type=OrderType.MARKET, qty=Decimal("0.001"), price=None,
                                   tif=TimeInForce.IOC)
            loaded.venue.place(loaded.market, request, loaded.instrument, loaded.market.ts)


if __name__ == "__main__":
    main()
