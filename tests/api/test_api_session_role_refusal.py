"""A logged-in session with a valid CSRF token that lacks the role is told which role it needs, not "CSRF":
only a real CSRF failure says CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _session(user) -> tuple[Client, dict[str, str]]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # the desk page sets the CSRF cookie
    return client, {"X-CSRFToken": client.cookies["csrftoken"].value}


@pytest.mark.parametrize("path, body", [("/api/desk/state", '{"state": "HALTED", "reason": "test"}'),
                                        ("/api/orders/{pk}/approve", "{}")])
def test_a_trader_session_with_a_csrf_token_is_told_the_role_it_needs(alice, make_order, path, body):
    client, csrf = _session(alice)
    r = client.post(path.format(pk=make_order().pk), body, content_type="application/json", headers=csrf)
    assert r.status_code == 403
    detail = r.json()["detail"]
    assert "CSRF" not in detail
    assert "needs the supervisor role (you are trader)" in detail, detail


def test_the_same_post_without_the_token_is_still_a_csrf_refusal(alice):
    client, _ = _session(alice)
    r = client.post("/api/desk/state", '{"state": "HALTED", "reason": "test"}', content_type="application/json")
    assert r.status_code == 403 and "CSRF check failed" in r.json()["detail"]
