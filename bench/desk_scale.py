"""The desk at scale, distributed: PostgreSQL, a Redis of the bench's own, N Celery workers and beat as
separate processes, the paper venue, N autopilot orders at one decision interval. Prints step lag p50/p99,
starved orders, approve → send and approve → paper fill p50/p99, and the CPU each process used.

    .venv/bin/python bench/desk_scale.py --orders 10,50,200,500 --workers 2 --interval 5 --seconds 60

Step lag: for consecutive proposals of one order, the gap between them minus the order's interval (an order
is due one interval after its last proposal or child order). Starved: an order that made no proposal in the
measured window. Needs a PostgreSQL the bench may create a database in (--pg, default the local server) and
`redis-server` on the PATH; the bench drops and re-creates its database (--db) for every N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime


def postgres_backends(db: str) -> set[int]:
    """The server processes serving the bench's database (their title names it), this process's included."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {db} " in title:
                found.add(int(proc.name))
    return found


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def recreate_db(pg: str, db: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def run_one(n: int, args: argparse.Namespace, tmp: Path) -> dict:
    redis_port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recreate_db(args.pg, args.db)
    env = dict(os.environ, EXECDESK_DATABASE_URL=f"{args.pg}/{args.db}",
               EXECDESK_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", EXECDESK_TICK_SECONDS="1",
               EXECDESK_SECRET_KEY=os.environ.get("EXECDESK_SECRET_KEY", "bench-only-" + "x" * 50),
               EXECDESK_AUDIT_KEY=os.environ.get("EXECDESK_AUDIT_KEY", "bench-only-audit-" + "y" * 40),
               EXECDESK_DATA_DIR=str(tmp), EXECDESK_CELERY_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="execdesk.settings")
    os.environ.update({k: v for k, v in env.items() if k.startswith("EXECDESK_") or k == "DJANGO_SETTINGS_MODULE"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    procs: dict[str, subprocess.Popen] = {"redis": redis}
    celery = [sys.executable, "-m", "celery", "-A", "execdesk"]
    for i in range(args.workers):
        procs[f"worker{i + 1}"] = subprocess.Popen(
            [*celery, "worker", "--pool", args.pool, "--concurrency", str(args.concurrency), "--loglevel", "WARNING",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--hostname", f"bench{i + 1}@%h"],
            cwd=REPO, env=env, stdout=(tmp / f"worker{i + 1}.log").open("wb"), stderr=subprocess.STDOUT)
    procs["beat"] = subprocess.Popen([*celery, "beat", "--loglevel", "WARNING", "--schedule", str(tmp / "beat"),
                                      "--pidfile", ""], cwd=REPO, env=env,
                                     stdout=(tmp / "beat.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        return measure(n, args, procs)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def measure(n: int, args: argparse.Namespace, procs: dict[str, subprocess.Popen]) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connections

    from execdesk.celery import app
    from execdesk.desk.access.setup_roles import ensure_roles
    from execdesk.desk.models import ChildOrder, Fill, Proposal, ProposalStatus
    from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

    connections.close_all()
    app.conf.broker_url = os.environ["EXECDESK_REDIS_URL"]
    app._pool = app.amqp._producer_pool = None
    ensure_roles()
    user = get_user_model().objects.create_user(f"bench{n}", password="bench-pass-123")
    user.groups.add(Group.objects.get(name="trader"))
    ids = []
    for i in range(n):
        symbols = args.symbols.split(",")
        parent = parent_order_create(user=user, symbol=symbols[i % len(symbols)], side="buy" if i % 2 == 0 else "sell",
                                     quantity=args.quantity, horizon_seconds=args.horizon,
                                     interval_seconds=args.interval, approval_mode="autopilot")
        parent_order_start(parent_id=parent.pk, user=user)
        ids.append(parent.pk)
    time.sleep(2 * args.interval)  # warm-up: every order has stepped once or twice
    backends = postgres_backends(args.db)
    pids = {name: p.pid for name, p in procs.items()}
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()} | {f"pg{b}": cpu_seconds(b) for b in backends}
    t0 = time.time()
    time.sleep(args.seconds)
    t1 = time.time()
    backends |= postgres_backends(args.db)  # and those opened during the window (counted from 0)
    cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()} | {f"pg{b}": cpu_seconds(b) for b in backends}
    wall = t1 - t0
    cpu = {name: (cpu1[name] - cpu0[name]) / wall * 100 for name in pids}
    # backends that ended during the window read 0 at its end: count what is known of each
    cpu["postgres"] = sum(max(0.0, cpu1[k] - cpu0.get(k, 0.0)) for k in cpu1 if k.startswith("pg")) / wall * 100

    from datetime import UTC, datetime

    start, end = datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t1, UTC)
    lags, starved = [], 0
    for pk in ids:
        times = list(Proposal.objects.filter(parent_id=pk, created_at__lte=end).order_by("created_at")
                     .values_list("created_at", flat=True))
        in_window = [t for t in times if t >= start]
        if not in_window:
            starved += 1
        for prev, cur in zip(times, times[1:], strict=False):
            if cur >= start:
                lags.append(max(0.0, (cur - prev).total_seconds() - args.interval))
    to_send, to_fill = [], []
    decided = dict(Proposal.objects.filter(parent_id__in=ids, decided_at__gte=start, decided_at__lte=end,
                                           status=ProposalStatus.APPROVED).values_list("pk", "decided_at"))
    for child in ChildOrder.objects.filter(proposal_id__in=decided, send_started_at__isnull=False):
        to_send.append((child.send_started_at - decided[child.proposal_id]).total_seconds() * 1000)
        first = Fill.objects.filter(child=child).order_by("created_at").values_list("created_at", flat=True).first()
        if first is not None:
            to_fill.append((first - decided[child.proposal_id]).total_seconds() * 1000)
    expired = ChildOrder.objects.filter(parent_id__in=ids, reject_reason__contains="send-by").count()
    return {"n": n, "symbols": args.symbols, "interval": args.interval, "lag_p50": pct(lags, .5), "lag_p99": pct(lags, .99),
            "steps": len(lags), "starved": starved, "send_p50": pct(to_send, .5), "send_p99": pct(to_send, .99),
            "fill_p50": pct(to_fill, .5), "fill_p99": pct(to_fill, .99), "fills": len(to_fill), "expired": expired,
            "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", default="10,50,200,500", help="N, or a comma-separated list of N")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"])
    parser.add_argument("--concurrency", type=int, default=4, help="per worker")
    parser.add_argument("--interval", type=int, default=5, help="decision interval of every order (s)")
    parser.add_argument("--seconds", type=float, default=60, help="measured window, after a warm-up")
    parser.add_argument("--horizon", type=int, default=1800)
    parser.add_argument("--quantity", default="0.5")
    parser.add_argument("--symbols", default="BTCUSDT",
                        help="orders spread over these paper markets (each market row serialises its sends)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="execdesk_bench")
    args = parser.parse_args()
    sizes = [int(x) for x in args.orders.split(",")]
    if len(sizes) > 1:  # one Django per process: each N runs in a child process of its own
        for n in sizes:
            out = subprocess.run([sys.executable, __file__, *_argv_for(n)], capture_output=True, text=True)
            lines = out.stdout.strip().splitlines()
            print(lines[-1] if lines else f"N={n}: failed\n{out.stderr[-3000:]}", flush=True)
        return
    with tempfile.TemporaryDirectory(prefix="execdesk-scale-") as tmp:
        print(format_row(run_one(sizes[0], args, Path(tmp))), flush=True)


def _argv_for(n: int) -> list[str]:
    argv, rest = [], iter(sys.argv[1:])
    for a in rest:
        if a == "--orders":
            next(rest, None)
        elif not a.startswith("--orders="):
            argv.append(a)
    return [*argv, "--orders", str(n)]


def format_row(r: dict) -> str:
    cpu = " ".join(f"{k} {v:.0f}%" for k, v in r["cpu"].items())
    return (f"N={r['n']:<4} {r['symbols']} | interval {r['interval']} s | step lag p50 {r['lag_p50']:.2f} s p99 {r['lag_p99']:.2f} s "
            f"({r['steps']} steps) | starved {r['starved']} | approve→send p50 {r['send_p50']:.0f} ms "
            f"p99 {r['send_p99']:.0f} ms | approve→fill p50 {r['fill_p50']:.0f} ms p99 {r['fill_p99']:.0f} ms "
            f"({r['fills']} filled) | expired unsent {r['expired']} | CPU {cpu}")


if __name__ == "__main__":
    main()
