"""Shared fixtures: the named actors (alice the trader, bob the supervisor, charlie the auditor) and
the rule for tests that need a real server: skip with the reason outside CI, fail in CI."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

from tests.loopback.anthropic_fixtures import anthropic_server  # noqa: F401  (loopback Anthropic Messages API)
from tests.loopback.fixtures import bybit_server, bybit_ws_server  # noqa: F401  (loopback Bybit v5 REST + WS)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip (printing why) when a required server or tool is missing; in CI that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _user(django_user_model, username: str, role: str):
    from django.contrib.auth.models import Group

    from execdesk.desk.access.setup_roles import ensure_roles

    ensure_roles()
    # no is_staff: the role alone decides what a user may see, the admin included (execdesk/desk/access/roles.py)
    user = django_user_model.objects.create_user(username=username, password=f"{username}-pw-123!")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(django_user_model):
    """alice, the trader."""
    return _user(django_user_model, "alice", "trader")


@pytest.fixture
def bob(django_user_model):
    """bob, the supervisor."""
    return _user(django_user_model, "bob", "supervisor")


@pytest.fixture
def charlie(django_user_model):
    """charlie, the auditor (read-only)."""
    return _user(django_user_model, "charlie", "auditor")


@pytest.fixture(autouse=True)
def _impact_fit_fresh(monkeypatch):
    """Every test sees the impact fit of its own database: no fit kept from an earlier test's observations
    (tests/desk/test_impact_fit_refresh.py turns the refresh interval back on)."""
    from django.conf import settings

    monkeypatch.setitem(settings.EXECDESK, "IMPACT_FIT_REFRESH_SECONDS", 0.0)


@pytest.fixture(autouse=True)
def _no_celery_broker(settings):
    """Service tests run the loop by calling services; tasks they enqueue run eagerly in-process."""
    from execdesk.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup, django_db_blocker):
    """Channels runs ORM calls in executor threads whose connections outlive the tests; PostgreSQL
    refuses to drop the test database while they are open, so end them before pytest-django drops it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path_factory):
    """Each test's audit chain heads go to a file of its own: the anchors of one test's trail must not
    meet another test's database."""
    settings.AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("anchors") / "audit_anchors.log"
