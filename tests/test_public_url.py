"""EXECDESK_PUBLIC_URL: the address links printed outside a request point to (manage.py execute)."""

from __future__ import annotations

import pytest

from execdesk.env import ConfigError, public_url


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in ("EXECDESK_PUBLIC_URL", "EXECDESK_HOST", "EXECDESK_PORT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "http://127.0.0.1:8000"),
    ({"EXECDESK_PORT": "8123"}, "http://127.0.0.1:8123"),
    ({"EXECDESK_HOST": "desk.lan", "EXECDESK_PORT": "9000"}, "http://desk.lan:9000"),
    ({"EXECDESK_HOST": "0.0.0.0", "EXECDESK_PORT": "9000"}, "http://127.0.0.1:9000"),  # bound everywhere
    ({"EXECDESK_HOST": "::1"}, "http://[::1]:8000"),
    ({"EXECDESK_PUBLIC_URL": "https://desk.example.com/", "EXECDESK_PORT": "9000"}, "https://desk.example.com"),
])
def test_the_public_url_comes_from_the_settings(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert public_url() == expected


@pytest.mark.parametrize("value", ["desk.example.com", "ftp://desk.example.com", "https://", "http://a b"])
def test_a_public_url_that_is_not_http_is_refused_at_start_up(monkeypatch, value):
    monkeypatch.setenv("EXECDESK_PUBLIC_URL", value)
    with pytest.raises(ConfigError, match="EXECDESK_PUBLIC_URL=.* is not an http\\(s\\) URL"):
        public_url()


def test_a_port_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("EXECDESK_PORT", "eighty")
    with pytest.raises(ConfigError, match="EXECDESK_PORT='eighty' is not an integer"):
        public_url()
