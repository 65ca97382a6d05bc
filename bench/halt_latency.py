"""Time the desk-wide HALT (issues 6, 13): from a supervisor's `desk_trading_state_set(state="HALTED")` until
every open child order is cancelled and every open page heard it — (a) paper children CANCELLED in the
database, (b) Bybit children cancelled at the loopback Bybit server (none of our orders open in its book) and
CANCELLED in the database, (c) every open page's socket got the "desk" push.

    .venv/bin/python bench/halt_latency.py --paper 20 --bybit 10 --repeat 10 [--worker eager|embedded]
                                           [--broker-poll SECONDS] [--profile [FILE]] [--json FILE]

Each repeat builds N working parent orders (parent_order_create + parent_order_start, whose first execution
step leaves a proposal pending), each with one resting child: the proposal is overridden through
`proposal_override` to a GTC limit 50 bps below the bid (paper: the simulated market; Bybit: the loopback
book), so nothing fills. Before each Bybit order the loopback tape gets a 1 BTC print at the mid (it fills
none of our bids): without it the seeded trades age out of the 1-minute window, volume_1m dries up and the
TWAP step proposes WAIT. Then bob (supervisor) halts the desk as the page and the API do, while a watcher
thread (its own database connection, as a page reading the desk would) stamps when (a) and (b) first hold,
every 5 ms.

(c) The banner (issue 13): every open page must hear the halt within a second. The bench keeps open page
sockets — the overview's (the socket every page without an order socket opens), a waiting order's, a
finished order's, and each working order's page — through the desk's real ASGI application, consumer and
embedded channel layer, on an event loop of their own (as Daphne's); each stamps when the "desk" push with
HALTED reaches it. The loopback has no network hop: a browser adds its own round trip.

The bench checks once (first repeat) that the halted desk makes no proposal and refuses to create or start
an order, that only a supervisor's resume lets them work again, resumes the desk (ACTIVE), and cancels the
repeat's parent orders.
Where the time goes is recorded by wrapping a few module-level names with timers (the cancel services the
tasks call, the halt's last statement, the dashboard push, the commit-hook runner); `--profile` adds
cProfile on the last halt.

Celery tasks (the Bybit cancels `child_order_cancel_task` and the sweep `venue_cancel_all_task`, both
enqueued with `transaction.on_commit`):
* `--worker eager` (default, as bench/bybit_roundtrip.py): `task_always_eager`, so each task runs inline
  when the halt's transaction commits, one after another, inside the supervisor's call;
* `--worker embedded`: the embedded worker as `make run` starts it (execdesk/desk/embedded/workers.py: celery's
  `start_worker`, thread pool of EXECDESK_WORKER_THREADS, memory broker), beat not started; order set-up
  stays eager, the halt's tasks go through the broker. `--broker-poll` sets the memory broker's
  polling_interval (kombu's default 1 s) as a what-if; the desk's settings are untouched.

Assumptions, printed with the figures: one process on loopback (desk, loopback Bybit REST server), embedded
mode (throwaway SQLite in a temp EXECDESK_DATA_DIR, in-memory channel layer), public feed and private stream
off (EXECDESK_BYBIT_FEED_IN_PROCESS=0; cancels are confirmed over REST, as the venue client does anyway),
REST polling off. The loopback server enforces no Bybit rate limit; Bybit limits each order endpoint per UID
(10/s on derivatives by default), so one cancel request per order cannot clear more than ~10 orders a second.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SYMBOL = "BTCUSDT"
BELOW_BID = Decimal("0.995")  # 50 bps under the bid: rests, inside the risk gate's 100 bps price band
TAPE_PRINT_QTY = "1"  # BTC printed on the loopback tape before each Bybit order (see Bench._started)
DONE_TIMEOUT_S = 30.0
POLL_S = 0.005  # the watcher's polling period: the figures are late by up to this much
TARGET_S = 1.0  # issue 6: every open child order cancelled within one second


# --------------------------------------------------------------------------------------------- figures


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """n, p50, p95 (linear interpolation) and max."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]
    return {"n": len(values), "p50": round(statistics.median(values), 1), "p95": round(p95, 1),
            "max": round(max(values), 1)}


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


# ------------------------------------------------------------------------------ where the halt's time goes


@dataclass
class Spans:
    """Start/end (perf_counter) of the calls the halt makes, recorded by wrapping module-level names; the
    wrapped functions run unchanged. `desk_state.audit_record` is the last call inside the halt's transaction."""

    calls: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def clear(self) -> None:
        self.calls.clear()

    def first_start(self, name: str) -> float | None:
        spans = self.calls.get(name)
        return min(s for s, _ in spans) if spans else None

    def last_end(self, name: str) -> float | None:
        spans = self.calls.get(name)
        return max(e for _, e in spans) if spans else None

    def total(self, name: str) -> float:
        return sum(e - s for s, e in self.calls.get(name, []))

    def count(self, name: str) -> int:
        return len(self.calls.get(name, []))


@contextlib.contextmanager
def spans_recorded(spans: Spans) -> Iterator[None]:
    from execdesk.desk import tasks
    from execdesk.desk.realtime import push
    from execdesk.desk.services import desk_state

    targets = [(tasks, "live_child_cancel"), (tasks, "venue_cancel_all"), (push, "_send"),
               (desk_state, "child_orders_cancel_open"), (desk_state, "audit_record")]
    originals = [(module, name, getattr(module, name)) for module, name in targets]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spans.calls.setdefault(name, []).append((start, time.perf_counter()))

        return wrapper

    from django.db.backends.base.base import BaseDatabaseWrapper

    # The halt's commit: the first after-commit hook run on the caller's thread (worker threads commit later).
    caller, run_hooks = threading.get_ident(), BaseDatabaseWrapper.run_and_clear_commit_hooks

    def hooks_timed(self: Any) -> None:
        if threading.get_ident() == caller:
            spans.calls.setdefault("commit_hooks", []).append((time.perf_counter(), 0.0))
        run_hooks(self)

    for module, name, fn in originals:
        setattr(module, name, timed(name, fn))
    BaseDatabaseWrapper.run_and_clear_commit_hooks = hooks_timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
        BaseDatabaseWrapper.run_and_clear_commit_hooks = run_hooks  # type: ignore[method-assign]


# ----------------------------------------------------------------------------------------------- bench


@dataclass
class Round:
    parents: list[int]
    paper_children: list[int]
    bybit_children: list[int]
    bybit_links: list[str]


class Watcher(threading.Thread):
    """Polls, every POLL_S, the database (paper and Bybit children CANCELLED) and the loopback venue (none of
    our orders open) until all three hold or DONE_TIMEOUT_S passes; `done` holds when each first held."""

    def __init__(self, bench: Bench, made: Round) -> None:
        super().__init__(name="halt-watcher", daemon=True)
        self.bench, self.made, self.links = bench, made, set(made.bybit_links)
        self.t0 = 0.0
        self.done: dict[str, float | None] = {"paper_db": None, "bybit_venue": None, "bybit_db": None}
        self.polls, self.error, self.left = 0, "", []

    def run(self) -> None:
        from django.db import connection

        from execdesk.desk.models import ChildOrder

        try:
            while not self.t0:
                time.sleep(0.0005)
            deadline = self.t0 + DONE_TIMEOUT_S
            while any(v is None for v in self.done.values()) and time.perf_counter() < deadline:
                self.polls += 1
                now = time.perf_counter()
                if self.done["paper_db"] is None and not ChildOrder.objects.filter(
                        pk__in=self.made.paper_children).exclude(status="cancelled").exists():
                    self.done["paper_db"] = now
                if self.done["bybit_venue"] is None and self.bench.open_on_bybit(self.links) == 0:
                    self.done["bybit_venue"] = now
                if self.done["bybit_db"] is None and not ChildOrder.objects.filter(
                        pk__in=self.made.bybit_children).exclude(status="cancelled").exists():
                    self.done["bybit_db"] = now
                time.sleep(POLL_S)
            children = self.made.paper_children + self.made.bybit_children
            self.left = list(ChildOrder.objects.filter(pk__in=children).exclude(status="cancelled")
                             .values_list("order_link_id", "status"))
        except Exception as exc:  # noqa: BLE001 - reported by the bench's main thread
            self.error = repr(exc)
        finally:
            connection.close()


class PageSockets:
    """Open dashboard pages: one websocket per page, through the desk's real ASGI application, consumer and
    (embedded) channel layer, on an event loop of their own as Daphne's would be. Each stamps when the
    "desk" push with HALTED first reaches it after `arm()`; the figures say how long the banner took."""

    def __init__(self, cookie: bytes) -> None:
        import asyncio

        self.cookie = cookie
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="page-sockets", daemon=True)
        self.thread.start()
        self.pages: dict[str, Any] = {}  # name -> (communicator, reader task)
        self.heard: dict[str, float] = {}
        self.t0 = 0.0

    def _run(self, coro: Any) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def open(self, name: str, path: str) -> None:
        self._run(self._open(name, path))

    async def _open(self, name: str, path: str) -> None:
        import asyncio

        from channels.testing import WebsocketCommunicator

        from execdesk.asgi import application

        headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000"), (b"cookie", self.cookie)]
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=10)
        if not connected:
            raise SystemExit(f"page socket {path} refused ({code})")
        self.pages[name] = (communicator, asyncio.ensure_future(self._read(name, communicator)))

    async def _read(self, name: str, communicator: Any) -> None:
        while True:  # every event the page gets (market ticks, order events) is read, as a page does
            event = await communicator.receive_json_from(timeout=3600)
            if (self.t0 and name not in self.heard and event.get("type") == "desk"
                    and event["data"].get("trading_state") == "HALTED"):
                self.heard[name] = time.perf_counter()

    def close(self, names: list[str]) -> None:
        self._run(self._close(names))

    async def _close(self, names: list[str]) -> None:
        for name in names:
            communicator, reader = self.pages.pop(name)
            reader.cancel()
            await communicator.disconnect()

    def arm(self, t0: float) -> None:
        self.heard, self.t0 = {}, t0

    def wait(self, timeout_s: float) -> dict[str, float]:
        """Milliseconds from the halt's call to each page hearing it (waits until all did or the timeout)."""
        end = time.perf_counter() + timeout_s
        while len(self.heard) < len(self.pages) and time.perf_counter() < end:
            time.sleep(POLL_S)
        missing = sorted(set(self.pages) - set(self.heard))
        if missing:
            raise SystemExit(f"{len(missing)} open pages did not hear the halt within {timeout_s:.0f} s: "
                             f"{missing[:5]}")
        return {name: (at - self.t0) * 1000 for name, at in self.heard.items()}

    def stop(self) -> None:
        self.close(list(self.pages))
        self.loop.call_soon_threadsafe(self.loop.stop)


class Bench:
    def __init__(self, rest, trader, supervisor) -> None:
        self.rest, self.trader, self.supervisor = rest, trader, supervisor
        self.skipped_steps = 0  # first execution steps that made no proposal and were run again
        self.pages: PageSockets = None  # type: ignore[assignment]  # opened by open_pages()

    def open_pages(self, cookie: bytes) -> None:
        """The pages open for the whole bench: the overview (the socket every page without an order socket
        of its own opens), a waiting order's page and a finished order's page (its market's group only)."""
        from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_create

        self.pages = PageSockets(cookie)
        self.pages.open("overview", "/ws/desk/")
        make = {"user": self.trader, "symbol": SYMBOL, "side": "buy", "quantity": "0.5", "horizon_seconds": 600}
        self.waiting = parent_order_create(**make).pk
        finished = parent_order_create(**make).pk
        parent_order_cancel(parent_id=finished, user=self.trader, reason="bench: a finished order's page")
        self.pages.open("waiting order", f"/ws/orders/{self.waiting}/")
        self.pages.open("finished order", f"/ws/orders/{finished}/")

    # ---- set-up, through the services only -----------------------------------------------------------
    def _started(self, venue: str):
        from execdesk.desk.models import Proposal
        from execdesk.desk.services.execution import execution_step
        from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

        if venue == "bybit":  # keep the loopback tape trading, else its 1-min volume dries up and TWAP waits;
            # a print at the mid fills none of our bids 50 bps below it
            self.rest.trade_through(SYMBOL, str(self.rest.venue.mid("linear", SYMBOL)), TAPE_PRINT_QTY)
        parent = parent_order_create(user=self.trader, symbol=SYMBOL, side="buy", quantity="0.5",
                                     horizon_seconds=600, interval_seconds=10, venue=venue)
        parent_order_start(parent_id=parent.pk, user=self.trader)  # runs the first execution step (eager)
        proposal = Proposal.objects.filter(parent=parent, status="pending").first()
        for _ in range(3):  # a step skipped (a market read failed) is retried by the next tick on a live desk
            if proposal is not None:
                break
            self.skipped_steps += 1
            execution_step(parent_id=parent.pk)
            proposal = Proposal.objects.filter(parent=parent, status="pending").first()
        if proposal is None or not proposal.order_type:
            last = Proposal.objects.filter(parent=parent).order_by("-seq").first()
            seen = (f"proposal #{last.seq} {last.status} {last.action}: {last.reasoning[:200]}" if last
                    else "no proposal at all")
            raise SystemExit(f"order {parent.pk} ({venue}): the first step left no order proposal pending "
                             f"({seen})")
        return parent, proposal

    def _resting_child(self, venue: str):
        from execdesk.desk.models import ChildOrder
        from execdesk.desk.services.market import instrument_for
        from execdesk.desk.services.proposals import proposal_override

        parent, proposal = self._started(venue)
        if venue == "bybit":
            bid = self.rest.venue.books[("linear", SYMBOL)].best_bid()
        else:
            bid = Decimal(str(proposal.market["best_bid"]))
        price = instrument_for(SYMBOL, venue).price(bid * BELOW_BID)
        proposal_override(proposal_id=proposal.pk, user=self.trader, quantity=str(proposal.quantity),
                          order_type="limit", limit_price=str(price), tif="GTC",
                          reason="bench: a passive limit far from the touch, so it rests")
        child = ChildOrder.objects.get(proposal=proposal)
        if child.status != "submitted":
            raise SystemExit(f"{venue} child {child.order_link_id} should rest at {price}, it is "
                             f"{child.status} {child.reject_reason}")
        return parent, child

    def build(self, paper: int, bybit: int, advance: Callable[[], None]) -> Round:
        made = Round([], [], [], [])
        for venue, n in (("paper", paper), ("bybit", bybit)):
            for _ in range(n):
                parent, child = self._resting_child(venue)
                made.parents.append(parent.pk)
                (made.paper_children if venue == "paper" else made.bybit_children).append(child.pk)
                if venue == "bybit":
                    made.bybit_links.append(child.order_link_id)
                self.pages.open(f"order {parent.pk}", f"/ws/orders/{parent.pk}/")
                advance()
        return made

    def retire(self, made: Round) -> None:
        from execdesk.desk.models import ParentOrder
        from execdesk.desk.services.parent_orders import parent_order_cancel

        for pk in made.parents:
            if ParentOrder.objects.get(pk=pk).status not in ("CANCELLED", "COMPLETE"):
                parent_order_cancel(parent_id=pk, user=self.trader, reason="bench: repeat done")
        self.pages.close([name for name in list(self.pages.pages) if name in {f"order {pk}" for pk in made.parents}])

    # ---- the measurement ---------------------------------------------------------------------------
    def open_on_bybit(self, links: set[str]) -> int:
        from tests.loopback.bybit_venue import OPEN_STATUSES

        with self.rest.venue.lock:
            return sum(1 for o in self.rest.venue.orders
                       if o.order_link_id in links and o.status in OPEN_STATUSES)

    def halt(self, made: Round) -> dict[str, Any]:
        """Halt the desk as bob; a watcher thread (its own DB connection, as a page would read) stamps when
        each condition first holds, while the call runs (eager mode does all its work inside the call)."""
        from execdesk.desk.services.desk_state import desk_trading_state_set

        watcher = Watcher(self, made)
        requests_before = len(self.rest.requests)
        watcher.start()
        t0 = watcher.t0 = time.perf_counter()
        self.pages.arm(t0)
        desk_trading_state_set(user=self.supervisor, state="HALTED", reason="bench: halt latency")
        returned = time.perf_counter()
        heard = self.pages.wait(DONE_TIMEOUT_S)
        watcher.join(DONE_TIMEOUT_S + 1)
        if watcher.error or any(v is None for v in watcher.done.values()):
            raise SystemExit(f"not every child order was cancelled {DONE_TIMEOUT_S:.0f} s after the halt: "
                             f"{watcher.error or watcher.left}")
        requests = Counter(r.path for r in self.rest.requests[requests_before:])
        ms = {k: (v - t0) * 1000 for k, v in watcher.done.items()}  # type: ignore[operator]
        order_pages = [v for k, v in heard.items() if k.startswith("order ")]
        return {"t0": t0, "call_ms": (returned - t0) * 1000, **{f"{k}_ms": v for k, v in ms.items()},
                "all_ms": max(ms.values()), "watcher_polls": watcher.polls, "rest_requests": dict(requests),
                "pages_all_ms": max(heard.values()), "page_overview_ms": heard["overview"],
                "page_orders_max_ms": max(order_pages), "page_waiting_ms": heard["waiting order"],
                "page_finished_ms": heard["finished order"], "pages": len(heard)}

    # ---- the refusal / resume check (once, while HALTED) -------------------------------------------
    def check_halt_refuses_then_resume(self, made: Round) -> list[tuple[str, bool, str]]:
        from django.core.exceptions import PermissionDenied

        from execdesk.desk.models import ChildOrder, Proposal
        from execdesk.desk.services.desk_state import desk_trading_state, desk_trading_state_set
        from execdesk.desk.services.execution import execution_step
        from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
        from execdesk.desk.services.proposals import proposal_approve
        from execdesk.desk.services.trading_gate import TradingRefused

        checks: list[tuple[str, bool, str]] = []
        before = Proposal.objects.count()
        for pk in made.parents:
            execution_step(parent_id=pk)
        proposed = Proposal.objects.count() - before
        checks.append(("no proposal is made while HALTED", proposed == 0, f"{proposed} proposals"))
        refusals = (
            ("creating an order is refused", lambda: parent_order_create(
                user=self.trader, symbol=SYMBOL, side="buy", quantity="0.5", horizon_seconds=600)),
            ("starting a waiting order is refused", lambda: parent_order_start(parent_id=self.waiting,
                                                                               user=self.trader)),
        )
        for label, attempt in refusals:
            try:
                attempt()
                checks.append((label, False, "done while HALTED"))
            except TradingRefused as exc:
                checks.append((label, True, str(exc)[:80]))
        try:
            desk_trading_state_set(user=self.trader, state="ACTIVE", reason="bench: a trader tries to resume")
            checks.append(("a trader cannot resume the desk", False, "the trader resumed it"))
        except PermissionDenied as exc:
            checks.append(("a trader cannot resume the desk", desk_trading_state() == "HALTED", str(exc)))
        desk_trading_state_set(user=self.supervisor, state="ACTIVE", reason="bench: supervisor resumes")
        retire: list[int] = []
        for venue in ("paper", "bybit"):
            parent, proposal = self._started(venue)
            retire.append(parent.pk)
            proposal_approve(proposal_id=proposal.pk, user=self.trader)
            child = ChildOrder.objects.filter(parent=parent).first()
            ok = child is not None and child.status in ("submitted", "partially_filled", "filled")
            checks.append((f"{venue}: after the supervisor's resume an approved proposal is sent", ok,
                           f"child {child.status if child else 'missing'}"))
        self.retire(Round(retire, [], [], []))
        return checks


# ------------------------------------------------------------------------------------------------ main


def _polling_interval() -> float:
    from execdesk.celery import app

    return float((app.conf.broker_transport_options or {}).get("polling_interval", 1.0))


@contextlib.contextmanager
def celery_worker(kind: str, broker_poll_s: float | None = None) -> Iterator[None]:
    """`eager`: tasks run inline, always. `embedded`: the worker threads of embedded mode are up; set-up stays
    eager (so nothing waits on the broker), the halt switches eager off (see `tasks_through_broker`)."""
    from django.conf import settings

    from execdesk.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    if kind == "eager":
        yield
        return
    from celery.contrib.testing.worker import start_worker

    if broker_poll_s is not None:  # what-if: kombu's virtual transports sleep polling_interval (1 s) idle
        app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}),
                                             "polling_interval": broker_poll_s}
    with start_worker(app, pool="threads", concurrency=settings.EXECDESK["EMBEDDED_WORKER_THREADS"],
                      perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        time.sleep(1.0)  # let the worker's start-up reconciliation run before the first measurement
        yield


@contextlib.contextmanager
def tasks_through_broker(kind: str) -> Iterator[None]:
    from execdesk.celery import app

    if kind == "embedded":
        app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", type=int, default=20, help="working parent orders on the paper venue (20)")
    parser.add_argument("--bybit", type=int, default=10, help="working parent orders on loopback Bybit (10)")
    parser.add_argument("--repeat", type=int, default=10, help="halts measured (10)")
    parser.add_argument("--worker", choices=["eager", "embedded"], default="eager",
                        help="how the halt's Celery tasks run (eager: inline at commit, as bybit_roundtrip)")
    parser.add_argument("--broker-poll", type=float, metavar="SECONDS",
                        help="with --worker embedded: the memory broker's polling_interval instead of the "
                             "desk's setting (CELERY_BROKER_TRANSPORT_OPTIONS, 0.02 s; kombu's default 1 s)")
    parser.add_argument("--profile", metavar="FILE", nargs="?", const="-",
                        help="cProfile the last halt on the caller's thread (with --worker eager that is all of "
                             "it), print where its time goes, dump pstats to FILE")
    parser.add_argument("--json", metavar="FILE", help="write the figures (and raw samples) to FILE")
    args = parser.parse_args()
    if args.paper < 0 or args.bybit < 0 or args.paper + args.bybit < 1 or args.repeat < 1:
        parser.error("--paper and --bybit must be >= 0 with at least one order, --repeat >= 1")
    if args.broker_poll is not None and (args.worker != "embedded" or not 0 < args.broker_poll <= 1):
        parser.error("--broker-poll needs --worker embedded and a value in (0, 1] seconds")

    from loopback_desk import desk_on_loopback_bybit

    from tests.loopback.bybit_server import BybitLoopbackServer

    rest = BybitLoopbackServer().start()
    data_dir = desk_on_loopback_bybit(rest, prefix="execdesk-bench-halt-")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from execdesk.desk.access.setup_roles import ensure_roles
    from execdesk.desk.services.desk_state import desk_trading_state_set

    console = Console()
    if not settings.EMBEDDED:
        raise SystemExit("the bench needs embedded mode (SQLite, in-memory channel layer), not a database "
                         "URL")
    call_command("migrate", verbosity=0)
    ensure_roles()
    users = get_user_model().objects
    alice = users.create_user("alice", password="alice-bench-pw-123!")
    alice.groups.add(Group.objects.get(name="trader"))
    bob = users.create_user("bob", password="bob-bench-pw-123!")
    bob.groups.add(Group.objects.get(name="supervisor"))

    bench = Bench(rest, alice, bob)
    client = Client()
    client.force_login(alice)
    bench.open_pages(f"sessionid={client.cookies['sessionid'].value}".encode())
    spans = Spans()
    samples: list[dict[str, Any]] = []
    checks: list[tuple[str, bool, str]] = []
    profile_text = ""
    started, load_before = time.time(), os.getloadavg()
    try:
        with celery_worker(args.worker, args.broker_poll):
            columns = (TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                for repeat in range(args.repeat):
                    build = progress.add_task(f"halt {repeat + 1}/{args.repeat}: build orders",
                                              total=args.paper + args.bybit)
                    made = bench.build(args.paper, args.bybit, lambda task=build: progress.advance(task))
                    progress.remove_task(build)
                    spans.clear()
                    profiler = cProfile.Profile() if args.profile and repeat == args.repeat - 1 else None
                    with spans_recorded(spans), tasks_through_broker(args.worker):
                        if profiler:
                            profiler.enable()
                        sample = bench.halt(made)
                        if profiler:
                            profiler.disable()
                    sample.update(_breakdown(spans, sample["t0"]))
                    samples.append(sample)
                    if repeat == 0:
                        checks = bench.check_halt_refuses_then_resume(made)
                    else:
                        desk_trading_state_set(user=bob, state="ACTIVE", reason="bench: next repeat")
                    bench.retire(made)
                    if profiler:
                        profile_text = _profile_summary(profiler, args.profile)
                    progress.console.print(f"halt {repeat + 1}: all cancelled in {sample['all_ms']:.0f} ms "
                                           f"(call {sample['call_ms']:.0f} ms)")
    finally:
        if bench.pages is not None:
            bench.pages.stop()
        rest.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    setup = _setup(args, bench.skipped_steps, started, load_before)
    _report(console, args, samples, checks, profile_text, setup, Table)


def _profile_summary(profiler: cProfile.Profile, dump: str) -> str:
    """The desk's own functions by cumulative time, then the hottest functions anywhere by own time."""
    if dump and dump != "-":
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    root = str(Path(__file__).resolve().parents[1])
    rows = [(cum, own, calls, f"{path.replace(root + '/', '')}:{line}({name})")
            for (path, line, name), (_, calls, own, cum, _) in stats.items()]
    ours = sorted((r for r in rows if r[3].startswith("execdesk/")), reverse=True)[:25]
    hot = sorted(rows, key=lambda r: r[1], reverse=True)[:15]
    lines = ["profile of the last halt — execdesk functions by cumulative time:",
             f"{'cum ms':>9} {'own ms':>8} {'calls':>6}  function"]
    lines += [f"{cum * 1000:9.1f} {own * 1000:8.1f} {calls:6d}  {where}" for cum, own, calls, where in ours]
    lines += ["hottest functions by own time:", f"{'own ms':>9} {'cum ms':>8} {'calls':>6}  function"]
    lines += [f"{own * 1000:9.1f} {cum * 1000:8.1f} {calls:6d}  {where.replace(root, '')[-90:]}"
              for cum, own, calls, where in hot]
    return "\n".join(lines)


def _breakdown(spans: Spans, t0: float) -> dict[str, Any]:
    """Milliseconds after the call: the halt's transaction to its last statement (audit_record) and to its
    commit (its after-commit hooks start), the paper/Bybit child cancels inside it, the wait from commit to
    the first Bybit cancel task, the tasks' own time, the sweep's, and the dashboard pushes."""
    in_tx_end = spans.last_end("audit_record") or t0
    committed = spans.first_start("commit_hooks")
    first_task = spans.first_start("live_child_cancel") or spans.first_start("venue_cancel_all")
    return {
        "in_transaction_ms": (in_tx_end - t0) * 1000,
        "committed_ms": ((committed - t0) * 1000) if committed else None,
        "cancel_open_in_tx_ms": spans.total("child_orders_cancel_open") * 1000,
        "commit_to_first_task_ms": ((first_task - (committed or in_tx_end)) * 1000) if first_task else None,
        "bybit_cancel_tasks_ms": spans.total("live_child_cancel") * 1000,
        "bybit_cancel_task_each_ms": [round((e - s) * 1000, 2)
                                      for s, e in spans.calls.get("live_child_cancel", [])],
        "bybit_cancel_task_starts_ms": sorted(round((s - t0) * 1000, 1)
                                              for s, _ in spans.calls.get("live_child_cancel", [])),
        "sweep_ms": spans.total("venue_cancel_all") * 1000,
        "pushes": spans.count("_send"),  # unbatched pushes only: a halt's own go in one push_batch hop
        "pushes_ms": spans.total("_send") * 1000,
        "tasks_run": spans.count("live_child_cancel") + spans.count("venue_cancel_all"),
    }


ROWS = (  # (sample key, label) in the printed table
    ("all_ms", "halt → every child cancelled (a and b)"),
    ("paper_db_ms", "(a) paper children CANCELLED in the DB"),
    ("bybit_venue_ms", "(b) no open order left on loopback Bybit"),
    ("bybit_db_ms", "(b) Bybit children CANCELLED in the DB"),
    ("pages_all_ms", "halt → every open page heard it (banner)"),
    ("page_overview_ms", "  the overview (and pages without an order socket)"),
    ("page_orders_max_ms", "  the working orders' pages (the last of them)"),
    ("page_waiting_ms", "  a waiting (INITIALIZED) order's page"),
    ("page_finished_ms", "  a finished (CANCELLED) order's page"),
    ("call_ms", "desk_trading_state_set() returned"),
    ("in_transaction_ms", "  halt transaction, to its last statement"),
    ("cancel_open_in_tx_ms", "    of which child_orders_cancel_open"),
    ("committed_ms", "  halt transaction committed"),
    ("commit_to_first_task_ms", "  commit → first Bybit cancel task starts"),
    ("bybit_cancel_tasks_ms", "  Bybit cancel tasks (sum of their times)"),
    ("sweep_ms", "  venue_cancel_all sweep"),
    ("pushes_ms", "  dashboard pushes (sum, all after commit)"),
)


def _setup(args: argparse.Namespace, steps_rerun: int, started: float,
           load_before: tuple[float, ...]) -> dict[str, Any]:
    from django.conf import settings

    embedded = args.worker == "embedded"
    return {"paper": args.paper, "bybit": args.bybit, "repeat": args.repeat, "worker": args.worker,
            "worker_threads": settings.EXECDESK["EMBEDDED_WORKER_THREADS"] if embedded else None,
            "broker_polling_interval_s": _polling_interval() if embedded else None,
            "feed_in_process": False, "bybit_poll_seconds": 3600, "first_steps_rerun": steps_rerun,
            "watcher_poll_s": POLL_S,
            "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "wall_s": round(time.time() - started, 1), "machine": machine()}


def _report(console, args, samples, checks, profile_text, setup, table_cls) -> None:
    figures = {key: percentiles([s[key] for s in samples if s.get(key) is not None]) for key, _ in ROWS}
    table = table_cls(title=f"Desk HALT, {args.paper} paper + {args.bybit} Bybit children, {len(samples)} "
                            f"halts, worker {args.worker} (ms)")
    for column in ("measure", "n", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, label in ROWS:
        f = figures[key]
        cells = ("-" if f[k] is None else f"{f[k]:.1f}" for k in ("p50", "p95", "max"))
        table.add_row(label, str(f["n"]), *cells)
    console.print(table)

    worst = figures["all_ms"]["max"]
    verdict = "within" if worst is not None and worst <= TARGET_S * 1000 else "ABOVE"
    console.print(f"target: every open child cancelled within {TARGET_S * 1000:.0f} ms — worst halt "
                  f"{worst} ms: {verdict} the target")
    pages = figures["pages_all_ms"]["max"]
    console.print(f"target: every open page ({samples[0]['pages']} sockets) hears the halt within "
                  f"{TARGET_S * 1000:.0f} ms — worst halt {pages} ms: "
                  f"{'within' if pages is not None and pages <= TARGET_S * 1000 else 'ABOVE'} the target")
    requests: Counter[str] = Counter()
    for s in samples:
        requests.update(s["rest_requests"])
    per_halt = {path: round(n / len(samples), 1) for path, n in sorted(requests.items())}
    per_task = [ms for s in samples for ms in s["bybit_cancel_task_each_ms"]]
    if per_task:
        console.print(f"one Bybit cancel task: p50 {statistics.median(per_task):.1f} ms, max "
                      f"{max(per_task):.1f} ms; REST requests per halt: {per_halt}")
    for label, ok, detail in checks:
        console.print(f"check: {label}: {'[green]ok[/]' if ok else '[red]FAILED[/]'} ({detail})")

    m = setup["machine"]
    celery = ("inline at commit (task_always_eager, as bench/bybit_roundtrip.py)" if args.worker == "eager"
              else f"embedded worker, {setup['worker_threads']} threads on the memory broker (polling "
                   f"interval {setup['broker_polling_interval_s']} s), no beat")
    console.print("assumptions: one process on loopback; embedded SQLite (WAL) in a temp dir; "
                  f"Celery {celery}; "
                  "public feed and private stream off; the loopback Bybit enforces no rate limit; "
                  f"{setup['first_steps_rerun']} first execution steps run again in set-up (no proposal); "
                  f"{m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, 1-min load "
                  f"{setup['load_average_1m'][0]} → {setup['load_average_1m'][1]}; wall {setup['wall_s']} s")
    if profile_text:
        console.print(profile_text, markup=False, highlight=False)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": " ".join([os.path.relpath(sys.executable)] + sys.argv), "setup": setup,
            "figures": figures,
            "rest_requests_per_halt": per_halt,
            "checks": [{"check": c, "ok": ok, "detail": d} for c, ok, d in checks],
            "samples": [{k: v for k, v in s.items() if k != "t0"} for s in samples]}, indent=2, default=str))
        console.print(f"figures written to {args.json}")
    if checks and not all(ok for _, ok, _ in checks):
        raise SystemExit("a halt check failed (see above)")


if __name__ == "__main__":
    main()
