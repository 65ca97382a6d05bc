"""The keys the desk runs with are redacted whatever their source: embedded mode generates `secret_key` and
`audit_key` in its data folder (no environment variable holds them), and one pasted into a reason is served
by /api/audit as [redacted], never in clear."""

from __future__ import annotations

import json
import os

import pytest

from execdesk.desk.models import AuditEvent

pytestmark = pytest.mark.django_db

GENERATED_SECRET_KEY = "generated-secret-key-Qx7Vb2LmN9pR4tW8yZ1cF5hJ3kS6dG0a"
GENERATED_AUDIT_KEY = "3f9c2a7e5b1d8064c2e9a7f3b5d1c8e06a4f2b9d7c5e3a1f8b6d4c2e0a9f7b5d"


@pytest.fixture
def generated_keys(settings):
    """The keys as embedded mode reads them from var/secret_key and var/audit_key."""
    settings.SECRET_KEY = GENERATED_SECRET_KEY
    settings.AUDIT_KEY = GENERATED_AUDIT_KEY.encode()
    assert not {GENERATED_SECRET_KEY, GENERATED_AUDIT_KEY} & set(os.environ.values())


@pytest.mark.parametrize("key", [GENERATED_SECRET_KEY, GENERATED_AUDIT_KEY], ids=["secret_key", "audit_key"])
def test_a_generated_key_pasted_into_a_reason_is_redacted_in_the_audit_export(generated_keys, key, as_alice,
                                                                              as_charlie, make_order):
    parent = make_order()
    r = as_alice.post(f"/api/orders/{parent.pk}/mode",
                      {"approval_mode": "autopilot", "reason": f"ticket says {key} is fine"})
    assert r.status_code == 200, r.json()
    r = as_charlie.get("/api/audit", order=parent.pk)
    body = b"".join(r.streaming_content).decode() if r.streaming else r.content.decode()
    assert key not in body
    event = next(e for e in json.loads(body) if e["action"] == "parent.mode_changed")
    assert event["payload"]["reason"] == "ticket says [redacted] is fine"
    assert key not in json.dumps(AuditEvent.objects.get(action="parent.mode_changed").payload)
