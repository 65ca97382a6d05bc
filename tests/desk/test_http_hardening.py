"""HTTP hardening: a Content-Security-Policy with no inline script, no-store on what a logged-in user sees
and on the API, a sliding idle session timeout, a clean `check --deploy` in production settings, and an
image that never holds the data folder."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from execdesk.desk.services.api_tokens import api_token_create

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_pages_carry_a_csp_that_allows_no_inline_script(alice):
    response = _logged_in(alice).get("/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]


def test_templates_have_no_inline_script_or_event_handler():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        offenders += [f"{path.name}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert offenders == []


def test_authenticated_pages_are_not_stored(alice, make_order):
    parent = make_order()
    client = _logged_in(alice)
    for path in ("/", f"/orders/{parent.pk}/", f"/orders/{parent.pk}/state.json", "/tokens/"):
        assert "no-store" in client.get(path)["Cache-Control"], path


def test_api_answers_are_not_stored(alice):
    token = api_token_create(user=alice, name="t")[1]
    response = Client().get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "no-store" in Client().get("/api/orders")["Cache-Control"]  # the 401 too


def test_the_session_ends_after_the_idle_timeout(alice):
    client = _logged_in(alice)
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_SECONDS <= 3600
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # idle past the timeout
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_request_renews_the_idle_timeout(alice):
    client = _logged_in(alice)
    soon = timezone.now() + timedelta(seconds=30)
    Session.objects.update(expire_date=soon)
    assert client.get("/").status_code == 200
    renewed = Session.objects.get().expire_date
    assert renewed >= soon + timedelta(seconds=settings.SESSION_IDLE_SECONDS - 120)
    assert client.cookies["sessionid"]["max-age"] == settings.SESSION_IDLE_SECONDS


def test_check_deploy_is_clean_in_distributed_mode_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECDESK_", "DJANGO_"))}
    env.update(EXECDESK_DATABASE_URL="postgres://execdesk:x@db.internal:5432/execdesk",
               EXECDESK_REDIS_URL="redis://redis.internal:6379/0", EXECDESK_SECRET_KEY=secrets.token_urlsafe(50),
                   EXECDESK_AUDIT_KEY=secrets.token_hex(32),
               EXECDESK_HTTPS="1", EXECDESK_ALLOWED_HOSTS="desk.example.com", EXECDESK_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_docker_image_never_holds_the_data_folder_or_the_repository():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"var/", ".venv/", ".git/", "secret_key", "*.sqlite3"} <= ignored
