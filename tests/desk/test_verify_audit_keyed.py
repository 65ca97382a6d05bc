"""The chain is keyed: a database writer who rewrites the trail and recomputes every hash — even signing it
with a key of their own — is caught, the rewritten event named. Only the desk's audit key signs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from execdesk.desk.audit.verify import FORGED, audit_verify
from execdesk.desk.models import AuditEvent
from tests.desk.audit_chain import build_chain, sql_delete, sql_insert, sql_rechain, sql_set_payload, verify

pytestmark = pytest.mark.django_db

ATTACKER_KEY = b"not-the-desk-key-but-32-characters-long!"


@pytest.fixture
def chain(alice, make_order, proposal_for, django_capture_on_commit_callbacks, settings) -> list[AuditEvent]:
    build_chain(make_order(), trader=alice, proposal_for=proposal_for, capture=django_capture_on_commit_callbacks)
    settings.AUDIT_ANCHOR_FILE.unlink(missing_ok=True)  # the table alone: anchors are test_verify_audit_anchors.py's
    return list(AuditEvent.objects.order_by("id"))



def _event(chain: list[AuditEvent], action: str) -> AuditEvent:
    return next(e for e in chain if e.action == action)


def test_every_event_the_desk_records_is_signed_with_the_audit_key(chain, settings):
    assert all(e.mac == e.compute_mac(settings.AUDIT_KEY) for e in chain)
    assert all(e.mac != e.compute_mac(ATTACKER_KEY) for e in chain)
    assert verify()[0] == 0


def test_an_update_rechained_with_plain_sha256_is_named_as_forged(chain):
    rejected = _event(chain, "proposal.rejected")
    sql_set_payload(rejected.pk, {**rejected.payload, "reason": "looked fine to me"})
    sql_rechain()  # every hash recomputed: the chain links again, only the signatures are stale
    status, out = verify()
    assert status == 1
    assert (f"event #{rejected.pk} (proposal.rejected, {rejected.ts.isoformat()}): its keyed signature (HMAC) "
            "does not match — rewritten, re-chained or forged by someone without the audit key") in out
    verdict = audit_verify()
    assert (verdict.broken.id, verdict.broken.kind) == (rejected.pk, FORGED)


def test_an_update_rechained_and_signed_with_another_key_is_named_as_forged(chain):
    rejected = _event(chain, "proposal.rejected")
    sql_set_payload(rejected.pk, {**rejected.payload, "reason": "looked fine to me"})
    sql_rechain(mac_key=ATTACKER_KEY)
    status, out = verify()
    assert status == 1
    assert f"event #{chain[0].pk} (parent.created, " in out and "keyed signature (HMAC) does not match" in out
    assert audit_verify().broken.kind == FORGED


def test_a_delete_rechained_is_named_at_the_first_event_after_it(chain):
    fill = _event(chain, "fill.recorded")
    after = chain[chain.index(fill) + 1]
    sql_delete(fill.pk)
    sql_rechain()
    status, out = verify()
    assert status == 1
    assert f"event #{after.pk} ({after.action}, " in out and "keyed signature (HMAC) does not match" in out


def _appended(chain: list[AuditEvent], *, mac: str) -> AuditEvent:
    """An approval by alice appended at the end, hashed and linked exactly as the desk would."""
    last, target = chain[-1], _event(chain, "proposal.rejected")
    forged = AuditEvent(ts=last.ts + timedelta(milliseconds=5), actor_label="alice", role="trader",
                        action="proposal.approved", object_type="proposal", object_id="999",
                        parent_order_id=target.parent_order_id, payload={"seq": 99, "action": "WAIT"},
                        market_ref={}, prev_hash=last.hash)
    forged.hash = forged.compute_hash()
    forged.mac = mac(forged) if callable(mac) else mac
    return forged


@pytest.mark.parametrize("mac", [lambda e: e.compute_mac(ATTACKER_KEY), ""], ids=["wrong key", "unsigned"])
def test_an_event_appended_with_a_valid_hash_and_link_is_named_as_forged(chain, mac):
    forged_id = sql_insert(_appended(chain, mac=mac))
    status, out = verify()
    assert status == 1 and f"event #{forged_id} (proposal.approved, " in out
    assert "keyed signature" in out
    assert (audit_verify().broken.id, audit_verify().broken.kind) == (forged_id, FORGED)

