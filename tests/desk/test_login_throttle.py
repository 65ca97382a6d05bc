"""Login: after too many failed passwords for one username from one address, even the right password is
refused (429, said on the login page) until the cool-off passes; logins, failures and logouts are audited,
never with the password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import AuditEvent

pytestmark = pytest.mark.django_db
RIGHT = "alice-pw-123!"  # tests/conftest.py gives alice this password


def _login(client: Client, password: str, username: str = "alice", ip: str = "10.0.0.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_too_many_wrong_ones_is_refused(alice):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _login(client, "wrong-password").status_code in (200, 429)
    response = _login(client, RIGHT)
    assert response.status_code == 429
    assert not _logged_in(client)
    page = response.content.decode()
    assert "Too many failed logins" in page and 'id="login-form"' in page


def test_the_lockout_is_per_username_and_address(alice, bob):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password")
    assert _login(Client(), RIGHT, ip="10.0.0.8").status_code == 302  # alice from another address
    assert _login(Client(), "bob-pw-123!", username="bob").status_code == 302  # bob from the same one


def test_the_lockout_ends_after_the_cool_off(alice):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password")
    assert _login(client, RIGHT).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _login(client, RIGHT).status_code == 302
    assert _logged_in(client)


def test_logins_failed_logins_and_logouts_are_audited_without_the_password(alice):
    client = Client()
    _login(client, "hunter2-wrong")
    _login(client, RIGHT)
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.filter(action__startswith="auth.").order_by("id"))
    assert [e.action for e in events] == ["auth.login_failed", "auth.login", "auth.logout"]
    assert all(e.object_id == "alice" for e in events)
    assert events[1].actor_label == "alice" and events[1].role == "trader"
    assert events[0].payload["ip"] == "10.0.0.7"
    for event in events:
        text = str(event.payload)
        assert "hunter2" not in text and RIGHT not in text and "password" not in text


def test_a_lockout_is_audited(alice):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password")
    assert AuditEvent.objects.filter(action="auth.locked_out", object_id="alice").exists()
