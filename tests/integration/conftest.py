"""Integration fixtures: a real Celery worker and beat, as separate processes, against PostgreSQL and Redis.

The worker and beat run the same code as production (`celery -A execdesk worker|beat`), pointed at the
test database pytest-django created, so the test process only has to play the human at the desk.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import need, reachable

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTED_REASON = ("this test runs a real Celery worker and beat: set EXECDESK_DATABASE_URL and "
                      "EXECDESK_REDIS_URL to a PostgreSQL and Redis (and EXECDESK_SECRET_KEY), as .ci/run does")
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def require_distributed() -> None:
    """Skip (locally) or fail (in CI) unless the desk is configured for, and can reach, PostgreSQL and Redis."""
    from django.conf import settings

    need(not settings.EMBEDDED, f"{DISTRIBUTED_REASON}; they are unset, so the desk is in embedded mode")
    need(reachable(settings.DATABASE_URL, 5432), f"{DISTRIBUTED_REASON}; PostgreSQL at the configured "
                                                 "EXECDESK_DATABASE_URL does not answer")
    need(reachable(settings.REDIS_URL, 6379), f"{DISTRIBUTED_REASON}; Redis at the configured "
                                              "EXECDESK_REDIS_URL does not answer")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture runs: an unreachable PostgreSQL would otherwise surface as a connection error
    # from pytest-django's database setup instead of the reason above.
    if item.get_closest_marker("integration") is not None:
        require_distributed()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)  # the fixture below prints logs when the test failed
    return report


def worker_database_url() -> str:
    """The URL of the database this test process uses (pytest-django's `test_...` copy)."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(s['NAME'], safe='')}"


def flush_desk_redis() -> list[str]:
    """Empty the broker, result-backend and channel-layer databases, and only those (never FLUSHALL)."""
    import redis
    from django.conf import settings

    urls = [settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND,
            *settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]]
    for url in urls:
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()
    return urls


class TaskEvents:
    """Celery task events (the worker runs with -E) as the broker carries them: which worker received
    and ran which task. Independent of log levels and result storage, and collected in this process."""

    def __init__(self, app) -> None:
        self.app = app
        self.events: list[dict] = []
        self.failure: BaseException | None = None
        self._ready = threading.Event()
        self._receiver = None
        self._thread = threading.Thread(target=self._run, name="celery-task-events", daemon=True)

    def _run(self) -> None:
        try:
            with self.app.connection_for_read() as conn:
                self._receiver = self.app.events.Receiver(conn, handlers={"*": self.events.append})
                self._receiver.on_consume_ready = lambda *args, **kwargs: self._ready.set()
                self._receiver.capture(limit=None, timeout=None, wakeup=False)
        except BaseException as exc:  # reported by the test through wait_ready() / of_task()
            self.failure = exc
            self._ready.set()

    def start(self, timeout_s: float = 10) -> None:
        self._thread.start()
        if not self._ready.wait(timeout_s) or self.failure is not None:
            raise AssertionError(f"could not listen to Celery events on the broker: {self.failure!r}")

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        self._thread.join(timeout=5)

    def of_task(self, task_id: str) -> list[dict]:
        return [e for e in list(self.events) if e.get("uuid") == task_id]

    def by_type(self, *types: str, hostname: str) -> list[dict]:
        return [e for e in list(self.events) if e.get("type") in types and e.get("hostname") == hostname]

    def succeeded(self, task_name: str, *, hostname: str) -> int:
        """How many `task_name` tasks the worker `hostname` ran to success (only `task-received` names the task)."""
        ids = {e["uuid"] for e in self.by_type("task-received", hostname=hostname) if e.get("name") == task_name}
        return sum(1 for e in self.by_type("task-succeeded", hostname=hostname) if e.get("uuid") in ids)


@dataclass
class DeskProcesses:
    """The worker and beat processes of one test, and their log files."""

    tmp: Path
    env: dict[str, str]
    worker_name: str
    events: TaskEvents
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "execdesk", *args], cwd=REPO,
                                    env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def log_text(self, name: str) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def tail(self, lines: int = 60) -> str:
        parts = []
        for name in self.logs:
            proc = self.procs[name]
            state = "running" if proc.poll() is None else f"exited with {proc.returncode}"
            body = "\n".join(self.log_text(name).splitlines()[-lines:])
            parts.append(f"----- {name} (pid {proc.pid}, {state}), last {lines} lines of {self.logs[name]} -----\n"
                         f"{body}")
        return "\n".join(parts)

    def assert_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"celery {name} exited with {proc.returncode}\n{self.tail()}"

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish, connections close
        for proc in self.procs.values():
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)


def _wait_worker_ready(desk: DeskProcesses) -> None:
    from execdesk.celery import app

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        desk.assert_alive()
        if app.control.ping(destination=[desk.worker_name], timeout=1.0):
            return
        time.sleep(0.2)
    raise AssertionError(f"the celery worker did not answer a ping within {READY_TIMEOUT_S} s\n{desk.tail()}")


@pytest.fixture
def desk_processes(request, transactional_db, tmp_path, settings) -> Iterator[DeskProcesses]:
    """`celery worker` and `celery beat` as separate processes on the test database, ready for work.

    Depends on `transactional_db` so the processes are stopped before pytest-django truncates the
    tables (their open transactions would otherwise hold locks the flush waits for)."""
    from execdesk.celery import app

    require_distributed()
    # Tasks this process enqueues (parent_order_start's first step) must reach the real broker.
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
    flush_desk_redis()

    env = dict(os.environ)
    env.update({
        "EXECDESK_DATABASE_URL": worker_database_url(),
        "EXECDESK_TICK_SECONDS": "1",
        "EXECDESK_SECRET_KEY": env.get("EXECDESK_SECRET_KEY") or settings.SECRET_KEY,
        "EXECDESK_AUDIT_KEY": settings.AUDIT_KEY.decode(),  # one key for every process of the desk
        "DJANGO_SETTINGS_MODULE": "execdesk.settings",
        "PYTHONUNBUFFERED": "1",
    })
    desk = DeskProcesses(tmp=tmp_path, env=env, worker_name=f"it-{os.getpid()}@{socket.gethostname()}",
                         events=TaskEvents(app))
    desk.events.start()
    try:
        desk.start("worker", "worker", "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO",
                   "--task-events", "--without-heartbeat", "--without-gossip", "--without-mingle",
                   "--hostname", desk.worker_name)
        _wait_worker_ready(desk)
        desk.start("beat", "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "celerybeat-schedule"),
                   "--pidfile", str(tmp_path / "celerybeat.pid"))
        yield desk
    finally:
        desk.stop()
        desk.events.stop()
        failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                     for when in ("setup", "call"))
        if failed:
            print(f"\n{desk.tail(120)}", file=sys.stderr)
        flush_desk_redis()
