"""Fault-injection helpers for the integration tests: a desk of real processes (worker(s), beat) on the test
database and a Redis of the test's own (so it can be stopped and started), a batch of autopilot orders, and
the invariants every order must keep whatever failed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import need
from tests.integration.conftest import REPO, worker_database_url

SETTLE_AFTER_DEADLINE_S = 60
POLL_S = 0.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OwnRedis:
    """A redis-server of this test's own on a free port (never the machine's), without persistence: a restart
    loses every queued and unacked message, as a crashed broker does."""

    tmp: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        need(binary is not None, "the fault tests start their own redis-server (Debian package redis-server)")
        log = (self.tmp / f"redis-{self.port}.log").open("ab")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--daemonize", "no", "--dir", str(self.tmp)],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # a crash: nothing is saved (and nothing would be)
            self.proc.wait(10)
        self.proc = None


@dataclass
class Desk:
    tmp: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, *args: str, module: str = "celery") -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        argv = [sys.executable, "-m", module, *(("-A", "execdesk") if module == "celery" else ()), *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def worker(self, name: str, *, module: str = "celery") -> subprocess.Popen:
        return self.start(name, "worker", "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO",
                          "--without-heartbeat", "--without-gossip", "--without-mingle",
                          "--hostname", f"{name}-{os.getpid()}@{socket.gethostname()}", module=module)

    def beat(self) -> subprocess.Popen:
        return self.start("beat", "beat", "--loglevel", "INFO", "--schedule", str(self.tmp / "celerybeat-schedule"),
                          "--pidfile", str(self.tmp / "celerybeat.pid"))

    def log_text(self, name: str) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def wait_for_line(self, name: str, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.log_text(name).splitlines():
                if text in line:
                    return line
            assert self.procs[name].poll() is None, f"{name} exited\n{self.tail()}"
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in {name}'s log within {timeout_s} s\n{self.tail()}")

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def tail(self, lines: int = 40) -> str:
        parts = []
        for name, path in self.logs.items():
            body = "\n".join(self.log_text(name).splitlines()[-lines:])
            parts.append(f"----- {name} ({path}) -----\n{body}")
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def desk_env(settings, redis: OwnRedis) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "EXECDESK_DATABASE_URL": worker_database_url(),
        "EXECDESK_REDIS_URL": redis.url,
        "EXECDESK_TICK_SECONDS": "1",
        "EXECDESK_SECRET_KEY": env.get("EXECDESK_SECRET_KEY") or settings.SECRET_KEY,
        "EXECDESK_AUDIT_KEY": settings.AUDIT_KEY.decode(),
        "EXECDESK_AUDIT_ANCHOR_FILE": str(settings.AUDIT_ANCHOR_FILE),
        "DJANGO_SETTINGS_MODULE": "execdesk.settings",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def point_this_process_at(redis: OwnRedis):
    """This process publishes (a start's first step) to the test's own Redis too. Returns an undo."""
    from tests.broker import publish_to

    return publish_to(redis.url)


def autopilot_orders(user, n: int, *, horizon_s: int = 30, interval_s: int = 5, start: bool = True):
    from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

    orders = []
    for i in range(n):
        parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy" if i % 2 == 0 else "sell",
                                     quantity="0.02", horizon_seconds=horizon_s, interval_seconds=interval_s,
                                     approval_mode="autopilot")
        if start:
            parent_order_start(parent_id=parent.pk, user=user)
        orders.append(parent)
    return orders


def wait_terminal(orders, desk: Desk) -> None:
    """Every order COMPLETE or CANCELLED by its deadline + 60 s."""
    from execdesk.desk.models import ParentOrder

    ids = [o.pk for o in orders]
    while True:
        rows = list(ParentOrder.objects.filter(pk__in=ids))
        working = [p for p in rows if not p.state.is_terminal]
        if not working:
            return
        now = time.time()
        late = [p for p in working if p.deadline and now > p.deadline.timestamp() + SETTLE_AFTER_DEADLINE_S]
        assert not late, (f"not terminal {SETTLE_AFTER_DEADLINE_S} s after the deadline: "
                          f"{[(p.pk, p.status, str(p.executed_qty)) for p in late]}\n{where(ids)}\n{desk.tail()}")
        time.sleep(POLL_S)


def orders_state(orders) -> str:
    """Each order's state and step schedule, then its child orders: what a failed fault test prints."""
    from execdesk.desk.models import ParentOrder

    ids = [o.pk for o in orders]
    rows = ParentOrder.objects.filter(pk__in=ids).order_by("pk")
    lines = [f"  #{p.pk} {p.status} executed={p.executed_qty} next_step_at={p.next_step_at} "
             f"queued_for={p.step_queued_for} deadline={p.deadline}" for p in rows]
    return "\n".join(["orders:", *lines, "children:", where(ids)])


def where(ids) -> str:
    from execdesk.desk.models import ChildOrder

    return "\n".join(f"  {c.parent_id} {c.order_link_id} {c.status} sent={c.send_started_at} by={c.send_by} "
                     f"{c.reject_reason[:80]}" for c in ChildOrder.objects.filter(parent_id__in=ids).order_by("id"))


def assert_invariants(orders) -> dict[str, int]:
    """No child sent after its send-by time, none sent twice, every fill once, the audit chain intact."""
    from execdesk.desk.audit.verify import audit_verify
    from execdesk.desk.models import AuditEvent, ChildOrder, Fill, MarketState, ParentOrder

    ids = [o.pk for o in orders]
    children = list(ChildOrder.objects.filter(parent_id__in=ids))
    sent = [c for c in children if c.send_started_at is not None]
    late = [c.order_link_id for c in sent if c.send_by is None or c.send_started_at > c.send_by]
    assert not late, f"sent after their send-by time: {late}\n{where(ids)}"
    sent_events = Counter(AuditEvent.objects.filter(action="child.sent", parent_order_id__in=ids)
                          .values_list("object_id", flat=True))
    assert all(n == 1 for n in sent_events.values()), f"a child sent twice: {sent_events}"
    assert set(sent_events) == {str(c.pk) for c in sent}, "child.sent events and sent child orders differ"
    # The paper venue numbers every new order that may rest (a repeated orderLinkId is answered, not re-placed):
    # as many of them at the venue as such child orders recorded as sent means none was placed twice. A
    # marketable order takes liquidity once (PaperTake.order_link_id is unique) and is numbered paper-t<id>.
    placed = MarketState.objects.get(symbol="BTCUSDT").state["venue"]["next_seq"] - 1
    resting = [c for c in sent if not c.venue_order_id.startswith("paper-t")]
    assert placed == len(resting), f"{placed} orders at the venue for {len(resting)} child orders sent to rest"
    takers = [c for c in sent if c.venue_order_id.startswith("paper-t")]
    assert all(c.venue_order_id == f"paper-t{c.pk}" for c in takers), [c.venue_order_id for c in takers]
    fills = list(Fill.objects.filter(parent_id__in=ids))
    assert Counter(AuditEvent.objects.filter(action="fill.recorded", parent_order_id__in=ids)
                   .values_list("object_id", flat=True)) == Counter(str(f.pk) for f in fills)
    for parent in ParentOrder.objects.filter(pk__in=ids):
        assert parent.executed_qty == sum((f.qty for f in fills if f.parent_id == parent.pk), parent.executed_qty * 0)
    verdict = audit_verify()
    assert verdict.ok, verdict.describe()
    expired = sum(1 for c in children if "send-by" in c.reject_reason)
    return {"orders": len(ids), "children": len(children), "sent": len(sent), "expired": expired,
            "fills": len(fills)}
