"""Time the execution loop's hot path on the embedded database: one desk tick (advance the market,
expire proposals) plus one execution step for each of N working parent orders.

    .venv/bin/python bench/desk_tick.py --orders 20 --ticks 30
"""

from __future__ import annotations

import argparse
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
    from execdesk.desk.models import AuditEvent, Fill, Proposal
    from execdesk.desk.services.execution import desk_tick, execution_step
    from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

    app.conf.task_always_eager = True  # child orders are submitted inline, as the worker would
    call_command("migrate", verbosity=0)
    ensure_roles()
    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    user.groups.add(Group.objects.get(name="trader"))
    ids = []
    for _ in track(range(args.orders), description="creating orders"):
        parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy", quantity="1", horizon_seconds=3600,
                                     interval_seconds=5, approval_mode=args.mode)
        parent_order_start(parent_id=parent.pk, user=user)
        ids.append(parent.pk)
    tick_ms, step_ms = [], []
    for _ in track(range(args.ticks), description="ticking"):
        t0 = time.perf_counter()
        desk_tick()
        tick_ms.append((time.perf_counter() - t0) * 1000)
        for pk in ids:
            t0 = time.perf_counter()
            execution_step(parent_id=pk)
            step_ms.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.2)
    q = statistics.quantiles
    print(f"orders={args.orders} ticks={args.ticks} mode={args.mode} proposals={Proposal.objects.count()} "
          f"fills={Fill.objects.count()} audit events={AuditEvent.objects.count()}")
    print(f"desk_tick      p50 {statistics.median(tick_ms):7.2f} ms   p95 {q(tick_ms, n=20)[18]:7.2f} ms")
    print(f"execution_step p50 {statistics.median(step_ms):7.2f} ms   p95 {q(step_ms, n=20)[18]:7.2f} ms")
    print(f"one full cycle for {args.orders} orders: {statistics.median(tick_ms) + statistics.median(step_ms) * len(ids):.1f} ms")


if __name__ == "__main__":
    main()
