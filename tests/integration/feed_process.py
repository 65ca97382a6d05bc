"""What the tests of the `bybit_feed` process share: the loopback Bybit servers in the environment (this
process's and the feed's), and a wait that fails with the feed's log when the feed dies or time runs out."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def loopback_bybit_env(monkeypatch: Any, bybit_server: Any, bybit_ws_server: Any) -> dict[str, str]:
    """Point this process at the loopback Bybit REST and WebSocket servers; returns the same variables for
    the feed process's environment."""
    env = {"EXECDESK_BYBIT_API_KEY": bybit_server.api_key, "EXECDESK_BYBIT_API_SECRET": bybit_server.api_secret,
           "EXECDESK_BYBIT_REST_URL": bybit_server.url, "EXECDESK_BYBIT_WS_URL": bybit_ws_server.url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def wait_for(predicate: Callable[[], T], what: str, proc: subprocess.Popen, log: Path,
             timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, f"bybit_feed exited with {proc.returncode}:\n{log.read_text()}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")
