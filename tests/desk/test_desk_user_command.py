"""manage.py desk_user (and desk_demo) apply the desk's password validators before writing anything;
desk_user refuses usernames that are not plain identifiers and never makes a user staff."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _desk_user(monkeypatch, username: str, password: str, role: str = "trader") -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("desk_user", username, "--role", role, "--password-stdin", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("password,why", [
    ("password", "too common"),
    ("12345678", "entirely numeric"),
    ("short1!", "too short"),
    ("frank.trader.desk", "too similar"),
])
def test_a_refused_password_creates_nothing(monkeypatch, password, why):
    with pytest.raises(CommandError, match=why):
        _desk_user(monkeypatch, "frank.trader.desk", password)
    assert not get_user_model().objects.filter(username="frank.trader.desk").exists()


@pytest.mark.parametrize("username", ["<script>", "bob smith", "ünïcode", "a" * 41, "9lives", "x;drop"])
def test_a_username_that_is_not_a_plain_identifier_is_refused(monkeypatch, username):
    with pytest.raises(CommandError, match="not a plain identifier"):
        _desk_user(monkeypatch, username, "a-good-long-passphrase-9")
    assert not get_user_model().objects.exists()


def test_a_good_password_creates_a_desk_user_who_is_not_staff(monkeypatch):
    assert "created frank" in _desk_user(monkeypatch, "frank", "a-good-long-passphrase-9")
    frank = get_user_model().objects.get(username="frank")
    assert not frank.is_staff and frank.check_password("a-good-long-passphrase-9")
    assert list(frank.groups.values_list("name", flat=True)) == ["trader"]


def test_a_refused_new_password_leaves_the_existing_one(monkeypatch, alice):
    with pytest.raises(CommandError, match="too common"):
        _desk_user(monkeypatch, "alice", "password", role="supervisor")
    alice.refresh_from_db()
    assert alice.check_password("alice-pw-123!")
    assert list(alice.groups.values_list("name", flat=True)) == ["trader"]


def test_a_weak_demo_password_is_refused_and_creates_no_login(monkeypatch, settings, tmp_path):
    settings.DATA_DIR, settings.EMBEDDED = tmp_path, True
    monkeypatch.setenv("EXECDESK_DEMO_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="EXECDESK_DEMO_PASSWORD refused: .*entirely numeric"):
        call_command("desk_demo", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("args", [[], ["--password-stdin"]])
def test_no_terminal_and_no_password_line_is_a_clear_error_not_a_traceback(monkeypatch, args):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a TTY, and nothing to read
    with pytest.raises(CommandError, match="no terminal to ask for the password|no password given"):
        call_command("desk_user", "frank", "--role", "trader", *args, stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="frank").exists()
