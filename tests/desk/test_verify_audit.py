"""`manage.py verify_audit` finds what raw SQL did to the audit trail: an altered row, a deleted row, a row
slipped in out of order, and (given the head noted earlier) the last rows cut off."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from execdesk.desk.audit.verify import ALTERED, ANCHOR_MISSING, OUT_OF_ORDER, UNLINKED, audit_verify
from execdesk.desk.models import AuditEvent, AuditTamperError
from execdesk.desk.services.audit import GENESIS
from execdesk.desk.services.desk_state import desk_trading_state_set
from tests.desk.audit_chain import build_chain, sql_delete, sql_insert, sql_set_payload, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(alice, make_order, proposal_for, django_capture_on_commit_callbacks) -> list[AuditEvent]:
    """A real trail written by the desk's services: an order overridden, filled, rejected, expired, approved."""
    build_chain(make_order(), trader=alice, proposal_for=proposal_for, capture=django_capture_on_commit_callbacks)
    return list(AuditEvent.objects.order_by("id"))



def _event(chain: list[AuditEvent], action: str) -> AuditEvent:
    return next(e for e in chain if e.action == action)


def test_an_intact_chain_exits_zero_with_its_length_and_head(chain):
    assert len(chain) > 15
    status, out = verify()
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0] == f"audit chain intact: {len(chain)} events, head {chain[-1].hash}"
    assert lines[2] == "tables match the trail: 1 fills, 1 child orders, 4 proposals, 1 parent orders"


def test_json_output_gives_the_verdict_to_machines(chain):
    status, out = verify("--json")
    assert status == 0
    verdict = json.loads(out)
    assert {k: verdict[k] for k in ("ok", "checked", "head", "broken")} == {
        "ok": True, "checked": len(chain), "head": chain[-1].hash, "broken": None}
    assert verdict["crosscheck"] == {"ok": True, "mismatches": [],
                                     "checked": {"fill": 1, "childorder": 1, "proposal": 4, "parentorder": 1}}


def test_an_empty_trail_is_intact_at_the_genesis_hash():
    status, out = verify()
    assert status == 0 and out.startswith(f"audit chain intact: 0 events, head {GENESIS}\n")


def test_a_payload_changed_by_raw_sql_is_reported_as_altered_naming_the_event(chain):
    rejected = _event(chain, "proposal.rejected")
    sql_set_payload(rejected.pk, {**rejected.payload, "reason": "looked fine to me"})
    status, out = verify()
    assert status == 1
    assert (f"event #{rejected.pk} (proposal.rejected, {rejected.ts.isoformat()}): "
            "stored hash does not match its content — altered") in out
    verdict = audit_verify()
    assert (verdict.ok, verdict.broken.id, verdict.broken.kind) == (False, rejected.pk, ALTERED)
    assert verdict.checked == chain.index(rejected) + 1, "the walk stops at the first broken event"


def test_a_deleted_middle_row_is_detected_at_the_next_event(chain):
    fill = _event(chain, "fill.recorded")
    before, after = chain[chain.index(fill) - 1], chain[chain.index(fill) + 1]
    sql_delete(fill.pk)
    status, out = verify()
    assert status == 1
    assert f"event #{after.pk} ({after.action}, " in out
    assert f"not the hash of the event before it (#{before.pk})" in out and "deleted" in out
    assert audit_verify().broken.kind == UNLINKED


def test_deleting_the_first_rows_unlinks_the_chain_from_genesis(chain):
    sql_delete(chain[0].pk)
    status, out = verify()
    assert status == 1 and f"event #{chain[1].pk}" in out and "genesis" in out


def _forged(chain: list[AuditEvent], *, prev: AuditEvent, ts, hash_ok: bool = True) -> AuditEvent:
    """A convincing row: an approval by alice, hashed the way the desk hashes (unless hash_ok is False)."""
    target = _event(chain, "proposal.rejected")
    forged = AuditEvent(ts=ts, actor_label="alice", role="trader", action="proposal.approved",
                        object_type="proposal", object_id=target.object_id, parent_order_id=target.parent_order_id,
                        payload={"seq": target.payload["seq"], "action": "WAIT", "checks_at_approval": []},
                        market_ref={}, prev_hash=prev.hash)
    forged.hash = forged.compute_hash() if hash_ok else "f" * 64
    return forged


def test_a_row_inserted_out_of_order_with_a_forged_hash_is_detected(chain):
    # forged to sit between two early events: its hash is right for its content, but it links to the
    # event it pretends to follow, not to the row really before it
    early = chain[4]
    forged_id = sql_insert(_forged(chain, prev=early, ts=early.ts + timedelta(microseconds=1)))
    status, out = verify()
    assert status == 1
    assert f"event #{forged_id} (proposal.approved, " in out and f"(#{chain[-1].pk})" in out
    assert audit_verify().broken.kind == UNLINKED


def test_a_back_dated_row_appended_with_a_valid_link_is_out_of_order(chain):
    forged_id = sql_insert(_forged(chain, prev=chain[-1], ts=chain[-1].ts - timedelta(hours=1)))
    status, out = verify()
    assert status == 1 and f"event #{forged_id} (proposal.approved, " in out and "out of order" in out
    assert audit_verify().broken.kind == OUT_OF_ORDER


def test_a_row_appended_with_a_made_up_hash_is_altered(chain):
    forged_id = sql_insert(_forged(chain, prev=chain[-1], ts=chain[-1].ts, hash_ok=False))
    verdict = audit_verify()
    assert (verdict.broken.id, verdict.broken.kind) == (forged_id, ALTERED)


def test_cutting_off_the_last_rows_is_caught_by_a_head_noted_by_hand(chain, bob, settings):
    desk_trading_state_set(user=bob, state="REDUCING", reason="end of quarter")  # an event no table row mirrors
    last = AuditEvent.objects.order_by("id").last()
    head = json.loads(verify("--json")[1])["head"]
    assert head == last.hash
    sql_delete(last.pk)
    settings.AUDIT_ANCHOR_FILE.unlink()  # no anchor file (see test_verify_audit_anchors.py for the file)
    assert verify()[0] == 0, "a truncated chain still links and is signed: only a head kept elsewhere shows the cut"
    status, out = verify("--anchor", head)
    assert status == 1 and f"anchor {head} is not in the chain" in out
    assert audit_verify(anchor=head).broken.kind == ANCHOR_MISSING
    assert verify("--anchor", chain[-1].hash)[0] == 0


def test_a_malformed_anchor_is_refused_with_a_clear_message(chain):
    status, out = verify("--anchor", "not-a-hash")
    assert status == 1 and "64-character hex" in out


def test_the_walk_reports_progress_chunk_by_chunk(chain):
    seen: list[int] = []
    verdict = audit_verify(progress=seen.append, chunk_size=5)
    assert verdict.ok and seen[-1] == len(chain)
    assert seen[:3] == [5, 10, 15]


def test_bulk_update_and_update_or_create_are_refused_too(chain):
    event = chain[0]
    event.action = "nothing.happened"
    # each in a savepoint: Django's own atomic blocks inside these calls see the refusal as a failed write
    with pytest.raises(AuditTamperError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    with pytest.raises(AuditTamperError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"action": "nothing.happened"})
    assert audit_verify().ok
