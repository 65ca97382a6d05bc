"""Importing the domain loads no framework or SDK: it runs without a database, broker or network."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import execdesk.domain

FORBIDDEN = ("django", "celery", "channels", "pybit", "anthropic")


def test_importing_every_domain_module_loads_no_django_celery_channels_pybit_or_anthropic():
    modules = [m.name for m in pkgutil.walk_packages(execdesk.domain.__path__, "execdesk.domain.")]
    assert len(modules) > 10
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))))\n"
    )
    # a fresh interpreter, from the repository root, with no DJANGO_SETTINGS_MODULE to tempt anything
    root = Path(execdesk.domain.__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout) == []
