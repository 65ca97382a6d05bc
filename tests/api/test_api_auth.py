"""Who gets in: API tokens (stored only as a digest), the desk session with CSRF, and the desk_token command."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import ApiToken, AuditEvent
from execdesk.desk.services.api_tokens import api_token_revoke
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_telling_how_to_authenticate(anonymous):
    r = anonymous.get("/api/orders")
    assert r.status_code == 401
    assert "Authorization: Bearer <token>" in r.json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header,message", [
    ("edk_abc", "must be 'Bearer <token>'"),
    ("Token edk_abc", "must be 'Bearer <token>'"),
    ("Basic YWxpY2U6cHc=", "must be 'Bearer <token>'"),
    ("Bearer ", "empty bearer token"),
    ("Bearer edk_not-a-real-token", "API token not recognised"),
])
def test_a_malformed_or_unknown_token_is_401_with_the_reason(alice, header, message):
    r = Client().get("/api/orders", headers={"Authorization": header})
    assert r.status_code == 401
    assert message in r.json()["detail"]


def test_a_revoked_token_is_refused_at_once(alice, alice_token):
    api = Api(alice_token)
    assert api.get("/api/orders").status_code == 200
    api_token_revoke(user=alice, token_id=ApiToken.objects.get(user=alice).pk)
    r = api.get("/api/orders")
    assert r.status_code == 401 and "was revoked at" in r.json()["detail"]


def test_a_bad_token_is_refused_even_with_a_logged_in_session(alice):
    client = Client()
    client.force_login(alice)
    r = client.get("/api/orders", headers={"Authorization": "Bearer edk_wrong"})
    assert r.status_code == 401


def test_a_deactivated_account_token_is_401(alice, alice_token):
    alice.is_active = False
    alice.save()
    r = Api(alice_token).get("/api/orders")
    assert r.status_code == 401 and "deactivated" in r.json()["detail"]


def test_a_user_without_a_desk_role_is_403(alice, alice_token):
    alice.groups.clear()
    r = Api(alice_token).get("/api/orders")
    assert r.status_code == 403 and "has no desk role" in r.json()["detail"]


def test_the_token_is_stored_only_as_its_sha256_and_never_audited(alice):
    token = token_for(alice, "risk dashboard")
    assert token.startswith("edk_") and len(token) >= 40
    row = ApiToken.objects.get(user=alice)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12] and token not in (row.name, row.prefix, row.digest)
    created = AuditEvent.objects.get(action="api_token.created")
    assert created.payload == {"name": "risk dashboard", "prefix": row.prefix, "owner": "alice"}
    assert not any(token in str(e.payload) for e in AuditEvent.objects.all())


def test_last_used_is_written_at_most_once_a_minute(alice, alice_token):
    api = Api(alice_token)
    api.get("/api/orders")
    first = ApiToken.objects.get(user=alice).last_used_at
    assert first is not None
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(user=alice).update(last_used_at=recent)
    api.get("/api/orders")
    assert ApiToken.objects.get(user=alice).last_used_at == recent
    ApiToken.objects.filter(user=alice).update(last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/orders")
    assert ApiToken.objects.get(user=alice).last_used_at > recent


def test_the_desk_session_works_and_its_posts_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/orders").status_code == 200
    refused = client.post("/api/orders", ORDER, content_type="application/json")
    assert refused.status_code == 403 and "CSRF check failed" in refused.json()["detail"]
    client.get("/")  # the desk page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post("/api/orders", ORDER, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert created.status_code == 201 and created.json()["created_by"] == "alice"


def test_an_anonymous_post_is_401_not_a_csrf_error(anonymous):
    r = Api(client=Client(enforce_csrf_checks=True)).post("/api/orders", ORDER)
    assert r.status_code == 401


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("desk_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_desk_token_creates_a_working_token_printed_once_lists_and_revokes(alice):
    token, note = _command("alice", "--name", "nightly report")
    assert token.startswith("edk_") and "shown once" in note
    assert Api(token).get("/api/orders").status_code == 200
    listing, _ = _command("alice", "--list")
    row = ApiToken.objects.get(user=alice)
    assert row.prefix in listing and "nightly report" in listing and token not in listing
    revoked, _ = _command("alice", "--revoke", str(row.pk))
    assert "revoked" in revoked
    assert Api(token).get("/api/orders").status_code == 401


def test_desk_token_refuses_unknown_users_and_other_peoples_tokens(alice, bob, charlie):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user 'mallory'"):
        _command("mallory", "--name", "x")
    token_for(alice)
    alices = ApiToken.objects.get(user=alice).pk
    with pytest.raises(CommandError, match="not yours to revoke"):
        _command("charlie", "--revoke", str(alices))
    _command("bob", "--revoke", str(alices))  # bob supervises the desk
    assert ApiToken.objects.get(pk=alices).revoked_at is not None
