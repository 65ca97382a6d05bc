"""`manage.py execute --help` (any command, any process) does not import the Anthropic SDK at start-up: it
takes over a second to import and only a Claude call needs it (docs/benchmarks.md, `execute --help`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
sys.argv = ["manage.py", "execute", "--help"]
from django.core.management import execute_from_command_line
try:
    execute_from_command_line(sys.argv)
except SystemExit:
    pass
print("SDK LOADED" if "anthropic" in sys.modules else "SDK NOT LOADED", file=sys.stderr)
"""


def test_execute_help_does_not_import_the_anthropic_sdk(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "execdesk.settings", "EXECDESK_DATA_DIR": str(tmp_path)}
    for name in ("EXECDESK_DATABASE_URL", "EXECDESK_REDIS_URL"):  # embedded mode, in its own data folder
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert "--approve" in done.stdout, done.stderr  # the help was printed: the desk started
    assert "SDK NOT LOADED" in done.stderr, done.stderr
