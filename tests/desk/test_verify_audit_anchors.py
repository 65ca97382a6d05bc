"""Anchors: after each audit-writing commit the chain head lands in an append-only file outside the
database; `verify_audit` prints the latest and names a cut-off tail or an anchored event rewritten."""

from __future__ import annotations

import json

import pytest

from execdesk.desk.audit.anchor import anchor_flush, anchors_read
from execdesk.desk.audit.verify import ANCHOR_MISMATCH, TRUNCATED, audit_verify
from execdesk.desk.models import AuditEvent, Proposal
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.proposals import proposal_reject
from tests.desk.audit_chain import sql_delete, sql_rechain, sql_set_payload, verify

# real commits: anchors are written after a transaction commits, never for one rolled back
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chain(alice, make_order) -> list[AuditEvent]:
    """An order started (its first step runs at commit) and its first proposal rejected: several commits."""
    parent = make_order()
    pending = Proposal.objects.get(parent=parent, status="pending")
    proposal_reject(proposal_id=pending.pk, user=alice, reason="spread looks fake")
    return list(AuditEvent.objects.order_by("id"))



def test_the_head_of_every_commit_lands_in_the_anchor_file(chain, settings):
    anchor_flush()
    anchors = list(anchors_read())
    assert anchors[-1].event_id == chain[-1].pk and anchors[-1].hash == chain[-1].hash
    hashes = {e.pk: e.hash for e in chain}
    assert all(hashes[a.event_id] == a.hash for a in anchors)
    assert settings.AUDIT_ANCHOR_FILE.stat().st_mode & 0o777 == 0o600


def test_a_burst_of_commits_is_coalesced_and_its_last_head_still_lands(bob, settings):
    settings.AUDIT_ANCHOR_FSYNC_SECONDS = 3600  # one write, then everything waits for the timer or a flush
    for n in range(5):
        desk_trading_state_set(user=bob, state="REDUCING" if n % 2 else "ACTIVE", reason=f"burst {n}")
    assert len(list(anchors_read())) == 1, "the first head is written at once, the rest coalesce"
    anchor_flush()
    anchors = list(anchors_read())
    last = AuditEvent.objects.order_by("id").last()
    assert len(anchors) == 2 and (anchors[-1].event_id, anchors[-1].hash) == (last.pk, last.hash)


def test_verify_audit_prints_the_latest_anchor(chain, settings):
    status, out = verify()
    assert status == 0
    assert (f"latest anchor: event #{chain[-1].pk} hash {chain[-1].hash} ({chain[-1].ts.isoformat()}), noted "
            in out.splitlines()[1])
    assert str(settings.AUDIT_ANCHOR_FILE) in out
    verdict = json.loads(verify("--json")[1])
    assert verdict["anchor"]["event"] == chain[-1].pk and verdict["anchor"]["hash"] == chain[-1].hash


def test_a_cut_off_tail_is_named_by_the_anchor(chain, bob):
    desk_trading_state_set(user=bob, state="REDUCING", reason="end of quarter")  # mirrored by no table row
    last = AuditEvent.objects.order_by("id").last()
    sql_delete(last.pk)  # what is left still links and is signed
    status, out = verify()
    assert status == 1
    assert (f"event #{last.pk} (hash {last.hash}, {last.ts.isoformat()}) was anchored" in out
            and f"but is gone and the trail ends at event #{chain[-1].pk} — the tail was cut off" in out)
    assert audit_verify(anchors=anchors_read()).broken.kind == TRUNCATED


def test_a_trail_deleted_whole_is_named_by_the_anchor(chain):
    for event in chain:
        sql_delete(event.pk)
    status, out = verify()
    assert status == 1 and f"event #{chain[-1].pk}" in out and "the trail is empty" in out


def test_an_anchored_event_rewritten_is_named_even_when_its_chain_verifies(chain, settings):
    """Someone holding the key re-signs a rewritten trail: the anchors noted before still disagree."""
    anchor_flush()
    target = chain[-1]
    sql_set_payload(target.pk, {**target.payload, "note": "rewritten"})
    sql_rechain(mac_key=settings.AUDIT_KEY)
    assert audit_verify().ok, "with the key, the table alone verifies"
    status, out = verify()
    assert status == 1 and f"event #{target.pk} ({target.action}, " in out and "differs from the one anchored" in out
    assert audit_verify(anchors=anchors_read()).broken.kind == ANCHOR_MISMATCH


def test_a_garbled_anchor_file_is_a_clear_error(chain, settings):
    anchor_flush()
    with settings.AUDIT_ANCHOR_FILE.open("a") as f:
        f.write("not json\n")
    status, out = verify()
    assert status == 1 and "anchor file unreadable" in out and "not an anchor ('not json')" in out
