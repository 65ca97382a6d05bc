"""A trail recorded before the audit key (plain sha256 chain, no signatures) is verified and then signed once,
by the migration the key holder runs; the signing is itself an audited event. An unsigned event is never
accepted afterwards, so a database writer cannot add "legacy" rows that verify."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

import execdesk.desk.migrations as desk_migrations
from execdesk.desk.audit.verify import ALTERED, FORGED, audit_verify
from execdesk.desk.models import AuditEvent
from tests.desk.audit_chain import _table, build_chain, sql_set_payload

pytestmark = pytest.mark.django_db


def _sign_legacy_trail():
    [path] = Path(desk_migrations.__file__).parent.glob("*_audit_keyed.py")
    migration = importlib.import_module(f"execdesk.desk.migrations.{path.stem}")
    return lambda: migration.sign_legacy_trail(MigrationLoader(connection).project_state().apps,
                                               connection.schema_editor())


@pytest.fixture
def legacy(alice, make_order, proposal_for, django_capture_on_commit_callbacks) -> list[AuditEvent]:
    """A trail as the desk recorded it before keys: the same chain, no mac."""
    build_chain(make_order(), trader=alice, proposal_for=proposal_for, capture=django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET mac = ''")
    return list(AuditEvent.objects.order_by("id"))


def test_unsigned_events_are_refused_as_written_past_the_desk(legacy):
    verdict = audit_verify()
    assert (verdict.broken.id, verdict.broken.kind) == (legacy[0].pk, FORGED)
    assert "carries no keyed signature" in verdict.broken.problem


def test_the_upgrade_verifies_the_old_chain_signs_it_and_records_that_it_did(legacy, settings):
    _sign_legacy_trail()()
    assert audit_verify().ok
    keyed = AuditEvent.objects.order_by("id").last()
    assert (keyed.action, keyed.actor_label, keyed.prev_hash) == ("audit.keyed", "system:migrate", legacy[-1].hash)
    assert keyed.payload == {"signed": len(legacy), "head": legacy[-1].hash, "first_unsigned": None, "problem": None,
                             "scheme": "mac = HMAC-SHA256(audit key, hash)"}


def test_the_upgrade_stops_signing_at_an_event_already_tampered_with(legacy):
    rejected = next(e for e in legacy if e.action == "proposal.rejected")
    sql_set_payload(rejected.pk, {**rejected.payload, "reason": "looked fine to me"})
    _sign_legacy_trail()()
    verdict = audit_verify()
    assert (verdict.broken.id, verdict.broken.kind) == (rejected.pk, ALTERED), "still reported, never signed"
    assert AuditEvent.objects.get(pk=rejected.pk).mac == ""
    assert AuditEvent.objects.order_by("id").last().payload["first_unsigned"] == rejected.pk


def test_an_empty_trail_needs_no_signing():
    _sign_legacy_trail()()
    assert not AuditEvent.objects.exists()
