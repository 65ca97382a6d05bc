"""Where the audit key comes from: the environment (or a *_FILE secret); embedded mode generates one beside its
database like the secret key; a distributed desk without one refuses to start."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT_KEY_DIGEST = ("import django, hashlib; django.setup(); from django.conf import settings; "
                    "print(hashlib.sha256(settings.AUDIT_KEY).hexdigest())")


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A desk process's start-up (settings loaded as daphne, celery and manage.py load them), outside pytest."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EXECDESK_")}
    environ.update(DJANGO_SETTINGS_MODULE="execdesk.settings", EXECDESK_DATA_DIR=str(tmp_path / "var"), **env)
    return subprocess.run([sys.executable, "-c", PRINT_KEY_DIGEST], cwd=REPO, env=environ, capture_output=True,
                          text=True, timeout=120)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_a_distributed_desk_without_an_audit_key_refuses_to_start(tmp_path):
    result = _start(tmp_path, EXECDESK_DATABASE_URL="postgres://u@127.0.0.1:1/none",
                    EXECDESK_REDIS_URL="redis://127.0.0.1:1/0", EXECDESK_SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "distributed mode needs EXECDESK_AUDIT_KEY (or EXECDESK_AUDIT_KEY_FILE)" in result.stderr


def test_the_key_comes_from_the_environment_or_a_file(tmp_path):
    key = "k" * 40
    assert _start(tmp_path, EXECDESK_AUDIT_KEY=key).stdout.strip() == _digest(key)
    secret = tmp_path / "audit_key_secret"
    secret.write_text(key + "\n")
    assert _start(tmp_path, EXECDESK_AUDIT_KEY_FILE=str(secret)).stdout.strip() == _digest(key)


def test_a_short_key_is_refused(tmp_path):
    result = _start(tmp_path, EXECDESK_AUDIT_KEY="short")
    assert result.returncode != 0 and "EXECDESK_AUDIT_KEY must be at least 32 characters" in result.stderr


def test_embedded_mode_generates_a_private_key_once_and_keeps_it(tmp_path):
    first = _start(tmp_path)
    path = tmp_path / "var" / "audit_key"
    assert first.returncode == 0, first.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    assert first.stdout.strip() == _digest(path.read_text().strip())
    assert _start(tmp_path).stdout.strip() == first.stdout.strip(), "the same key after a restart"
