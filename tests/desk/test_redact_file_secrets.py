"""Secrets given as files (NAME_FILE, Docker/Kubernetes secrets) are redacted exactly as the plain NAME
variables are: in audit payloads and in what is redacted anywhere else."""

from __future__ import annotations

import pytest

from execdesk.desk.access.roles import Actor
from execdesk.desk.audit.redact import REDACTED, redact
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record

NAMES = ("ANTHROPIC_API_KEY", "EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET", "EXECDESK_SECRET_KEY")


@pytest.mark.parametrize("name", NAMES)
def test_a_secret_from_a_file_is_redacted_like_the_plain_variable(name, monkeypatch, tmp_path):
    secret = f"{name.lower()}-s3cr3t-value-0123456789"
    text = f"venue said: bad key {secret} (retry)"
    monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(f"{name}_FILE", raising=False)
    assert redact(text) == text  # not configured: nothing to hide

    monkeypatch.setenv(name, secret)
    plain = redact({"note": text, "nested": [text]})
    monkeypatch.delenv(name)
    (tmp_path / "secret").write_text(secret + "\n")  # as Docker writes it, with a trailing newline
    monkeypatch.setenv(f"{name}_FILE", str(tmp_path / "secret"))
    from_file = redact({"note": text, "nested": [text]})
    assert from_file == plain == {"note": f"venue said: bad key {REDACTED} (retry)",
                                  "nested": [f"venue said: bad key {REDACTED} (retry)"]}


def test_a_rotated_secret_file_is_read_again(monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_text("first-secret-value-123")
    monkeypatch.delenv("EXECDESK_BYBIT_API_SECRET", raising=False)
    monkeypatch.setenv("EXECDESK_BYBIT_API_SECRET_FILE", str(path))
    assert redact("first-secret-value-123") == REDACTED
    path.write_text("second-secret-value-4567")
    assert redact("second-secret-value-4567") == REDACTED


def test_an_unreadable_secret_file_does_not_break_redaction(monkeypatch, tmp_path):
    monkeypatch.setenv("EXECDESK_BYBIT_API_KEY_FILE", str(tmp_path / "missing"))
    assert redact({"note": "nothing secret"}) == {"note": "nothing secret"}


@pytest.mark.django_db
def test_an_audit_payload_never_holds_a_file_secret(alice, monkeypatch, tmp_path):
    secret = "bybit-file-secret-abcdef123456"
    (tmp_path / "s").write_text(secret)
    monkeypatch.delenv("EXECDESK_BYBIT_API_SECRET", raising=False)
    monkeypatch.setenv("EXECDESK_BYBIT_API_SECRET_FILE", str(tmp_path / "s"))
    with desk_atomic():
        event = audit_record(actor=Actor.of(alice), action="test.secret", object_type="x", object_id="1",
                             payload={"error": f"signature mismatch for {secret}"})
    assert secret not in str(event.payload) and REDACTED in event.payload["error"]
