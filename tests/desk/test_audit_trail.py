import pytest

from execdesk.desk.models import AuditEvent, AuditTamperError

pytestmark = pytest.mark.django_db


def test_every_step_of_an_order_is_an_audit_event_in_a_hash_chain(alice, make_order, proposal_for):
    parent = make_order()
    proposal_for(parent)
    actions = list(AuditEvent.objects.filter(parent_order_id=parent.pk).values_list("action", flat=True))
    assert actions[:4] == ["parent.created", "parent.state_changed", "parent.strategy_frozen", "proposal.created"]
    events = list(AuditEvent.objects.order_by("id"))
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
        assert event.hash == event.compute_hash()


def test_audit_events_cannot_be_updated_or_deleted(alice, make_order):
    make_order(start=False)
    event = AuditEvent.objects.first()
    event.action = "nothing.happened"
    with pytest.raises(AuditTamperError, match="append-only"):
        event.save()
    with pytest.raises(AuditTamperError, match="append-only"):
        event.delete()
    with pytest.raises(AuditTamperError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditTamperError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "parent.created"


def test_secrets_never_reach_the_audit_payload(alice, monkeypatch):
    from execdesk.desk.access.roles import Actor
    from execdesk.desk.services.atomic import desk_atomic
    from execdesk.desk.services.audit import audit_record

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
    with desk_atomic():
        event = audit_record(actor=Actor.of(alice), action="test.secret", object_type="x", object_id="1",
                             payload={"api_key": "abc", "note": "key is sk-ant-test-0123456789abcdef"})
    assert event.payload == {"api_key": "[redacted]", "note": "key is [redacted]"}


def test_redaction_hides_secret_names_but_keeps_token_counts():
    from execdesk.desk.audit.redact import REDACTED, redact

    out = redact({"api_token": "abc", "access-token": "abc", "token": "abc", "Authorization": "Bearer x",
                  "input_tokens": 1860, "output_tokens": 95, "nested": {"api_key": "k", "tokens_used": 3}})
    assert out["api_token"] == out["access-token"] == out["token"] == out["Authorization"] == REDACTED
    assert out["nested"]["api_key"] == REDACTED
    assert (out["input_tokens"], out["output_tokens"], out["nested"]["tokens_used"]) == (1860, 95, 3)
