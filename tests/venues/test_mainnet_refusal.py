"""Mainnet trades real money: no ExecDesk process starts on it without EXECDESK_ALLOW_MAINNET=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EXECDESK_BYBIT")}
    environ.pop("EXECDESK_ALLOW_MAINNET", None)
    environ.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=environ, capture_output=True,
                          text=True, timeout=120)


def test_a_desk_process_refuses_to_start_on_mainnet_without_the_allow_flag() -> None:
    result = _manage("check", EXECDESK_BYBIT_ENV="mainnet")
    assert result.returncode != 0
    assert "needs EXECDESK_ALLOW_MAINNET=1" in result.stderr and "refusing to start" in result.stderr
    assert "Traceback" not in result.stderr


def test_with_the_allow_flag_mainnet_starts() -> None:
    result = _manage("check", EXECDESK_BYBIT_ENV="mainnet", EXECDESK_ALLOW_MAINNET="1")
    assert result.returncode == 0, result.stderr


def test_the_worker_refuses_too() -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EXECDESK_BYBIT")}
    environ.update(EXECDESK_BYBIT_ENV="mainnet", DJANGO_SETTINGS_MODULE="execdesk.settings")
    code = "import django; django.setup()"  # what `celery -A execdesk worker` does when it loads the tasks
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environ, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "EXECDESK_ALLOW_MAINNET=1" in result.stderr
