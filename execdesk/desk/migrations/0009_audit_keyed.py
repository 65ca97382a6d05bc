"""The audit trail becomes keyed: every event gets `mac` = HMAC-SHA256(audit key, hash).

Events recorded before this migration carry only the plain sha256 chain. They are signed here, once, by
the operator who holds the key, and only after their chain has been re-verified: the signing stops at the
first altered or unlinked event, which then stays unsigned and `verify_audit` keeps reporting it. From here
on every event must carry a valid mac, so there is no "legacy" row a database writer could add later. The
signing itself is recorded as an `audit.keyed` event."""

from __future__ import annotations

import hashlib
import sys

from django.db import migrations, models, transaction
from django.utils import timezone

from execdesk.desk.audit.anchor import anchor_note
from execdesk.desk.models.audit import audit_mac, event_canonical

GENESIS = "0" * 64
BATCH = 500


def sign_legacy_trail(apps, schema_editor) -> None:
    AuditEvent = apps.get_model("desk", "AuditEvent")
    if not AuditEvent.objects.exists():
        return
    prev_hash, signed, problem, first_unsigned = GENESIS, 0, None, None
    batch: list = []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=BATCH):
        if event.prev_hash != prev_hash:
            problem, first_unsigned = "does not link to the event before it", event.pk
            break
        if hashlib.sha256((event.prev_hash + event_canonical(event)).encode()).hexdigest() != event.hash:
            problem, first_unsigned = "stored hash does not match its content", event.pk
            break
        event.mac = audit_mac(event.hash)
        batch.append(event)
        prev_hash = event.hash
        signed += 1
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_update(batch, ["mac"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["mac"])
    if problem:
        sys.stderr.write(f"\naudit trail: event #{first_unsigned} {problem}; it and the events after it are left "
                         "unsigned and `verify_audit` reports them\n")
    last = AuditEvent.objects.order_by("-id").first()
    keyed = AuditEvent(ts=timezone.now(), actor_label="system:migrate", role="system", action="audit.keyed",
                       object_type="auditevent", object_id=str(last.pk), parent_order_id=None,
                       payload={"signed": signed, "head": prev_hash, "first_unsigned": first_unsigned,
                                "problem": problem, "scheme": "mac = HMAC-SHA256(audit key, hash)"},
                       market_ref={}, prev_hash=last.hash)
    keyed.hash = hashlib.sha256((keyed.prev_hash + event_canonical(keyed)).encode()).hexdigest()
    keyed.mac = audit_mac(keyed.hash)
    keyed.save()
    transaction.on_commit(lambda: anchor_note(keyed.pk, keyed.hash, keyed.ts), using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0008_halt_clock"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(sign_legacy_trail, migrations.RunPython.noop),
    ]
