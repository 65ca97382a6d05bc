"""A real desk process (`manage.py rundesk`, embedded mode) for the browser to talk to."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DEMO_PASSWORD = "e2e-demo-pass-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def desk_env() -> dict[str, str]:
    """Extra EXECDESK_* settings for the desk process; a test module overrides this fixture to change them
    (a low EXECDESK_FOUR_EYES_NOTIONAL, a short EXECDESK_PROPOSAL_TTL, ...)."""
    return {}


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    if call.when == "call":
        item.stash[_FAILED] = call.excinfo is not None


_FAILED = pytest.StashKey[bool]()


def _post_mortem(data_dir: Path, log_path: Path) -> str:
    """What a failed browser test leaves to read: the desk's log tail and its orders, proposals and last
    audit events (the embedded desk's SQLite file)."""
    parts = [f"----- rundesk log tail ({log_path}) -----", log_path.read_text(errors="replace")[-4000:]]
    db = data_dir / "execdesk.sqlite3"
    if db.exists():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            for title, sql in (
                ("parent orders", "select id, status, started_at, last_step_at, next_step_at, executed_qty "
                                  "from desk_parentorder order by id"),
                ("proposals", "select parent_id, seq, action, status, created_at, expires_at, decision_reason "
                              "from desk_proposal order by id"),
                ("last audit events", "select ts, action, parent_order_id, substr(payload, 1, 120) from desk_auditevent "
                                      "order by id desc limit 40"),
            ):
                parts.append(f"----- {title} -----")
                parts.extend(" | ".join(str(v)[:80] for v in row) for row in conn.execute(sql))
    return "\n".join(parts)


@pytest.fixture
def desk_server(request, tmp_path, desk_env):
    """`make run`'s command on a free port with its own data dir; yields the base URL and the log's path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXECDESK_") and k != "DJANGO_SETTINGS_MODULE"}
    port = _free_port()
    env.update(EXECDESK_DATA_DIR=str(tmp_path / "var"), EXECDESK_PORT=str(port), EXECDESK_DEMO_PASSWORD=DEMO_PASSWORD)
    unknown = [k for k in desk_env if not k.startswith("EXECDESK_")]
    assert not unknown, f"desk_env takes EXECDESK_* settings only, got {unknown}"
    env.update(desk_env)
    log_path = tmp_path / "rundesk.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "manage.py", "rundesk"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"rundesk exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"rundesk did not listen on {port} within 60 s:\n{log_path.read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if request.node.stash.get(_FAILED, False):
            print(_post_mortem(tmp_path / "var", log_path))


@pytest.fixture
def browser():
    need(Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
         "Chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
