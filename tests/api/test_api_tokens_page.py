"""The /tokens/ page: a desk user lists, creates (the token shown once) and revokes their own API tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from execdesk.desk.models import ApiToken
from tests.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_needs_a_login_and_a_desk_role(alice):
    assert Client().get("/tokens/").status_code == 302
    alice.groups.clear()
    assert _logged_in(alice).get("/tokens/").status_code == 403


def test_a_created_token_is_shown_once_works_and_is_then_listed_by_prefix_only(alice):
    client = _logged_in(alice)
    created = client.post("/tokens/", {"name": "risk dashboard"})
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"]
    token = created.context["new_token"]
    assert token.startswith("edk_") and token in created.content.decode()
    assert Api(token).get("/api/orders").status_code == 200
    listed = client.get("/tokens/").content.decode()
    row = ApiToken.objects.get(user=alice)
    assert "risk dashboard" in listed and f"{row.prefix}…" in listed and token not in listed


def test_a_token_needs_a_name(alice):
    r = _logged_in(alice).post("/tokens/", {"name": "  "})
    assert r.status_code == 400 and "a token needs a name" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_page_refuses_it_at_once(alice):
    token = token_for(alice)
    row = ApiToken.objects.get(user=alice)
    client = _logged_in(alice)
    r = client.post(f"/tokens/{row.pk}/revoke/", follow=True)
    assert "revoked" in r.content.decode()
    assert Api(token).get("/api/orders").status_code == 401


def test_only_your_own_tokens_are_listed_and_a_trader_cannot_revoke_anothers(alice, charlie):
    token_for(alice, "alice bot")
    charlies = _logged_in(charlie)
    assert "alice bot" not in charlies.get("/tokens/").content.decode()
    r = charlies.post(f"/tokens/{ApiToken.objects.get(user=alice).pk}/revoke/", follow=True)
    assert "not yours to revoke" in r.content.decode()
    assert ApiToken.objects.get(user=alice).revoked_at is None


def test_a_new_token_has_a_copy_button_carrying_it_and_its_script_is_a_static_file(alice):
    import re

    created = _logged_in(alice).post("/tokens/", {"name": "copy me"})
    token, page = created.context["new_token"], created.content.decode()
    button = re.search(r'<button type="button" class="btn btn-sm" id="copy-token" data-copy="([^"]+)"', page)
    assert button is not None and button.group(1) == token
    assert re.search(r'<script src="/static/desk/copy-token(\.[0-9a-f]+)?\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # CSP: no inline script
    listed = _logged_in(alice).get("/tokens/").content.decode()
    assert 'id="copy-token"' not in listed and "copy-token.js" not in listed  # nothing to copy once shown
