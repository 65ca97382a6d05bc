"""The approval mode can change while the order runs; the change is audited with its reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from execdesk.desk.models import AuditEvent, ChildOrder
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_mode_set

pytestmark = pytest.mark.django_db


def test_switching_a_running_order_to_autopilot_is_audited_and_approves_the_waiting_proposal(
        alice, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order()
    proposal = proposal_for(parent)
    assert proposal.action != "WAIT"
    with django_capture_on_commit_callbacks(execute=True):
        parent_order_mode_set(parent_id=parent.pk, user=alice, approval_mode="autopilot", reason="liquid market")
    parent.refresh_from_db()
    assert parent.approval_mode == "autopilot"
    event = AuditEvent.objects.get(action="parent.mode_changed")
    assert event.actor_label == "alice" and event.payload["reason"] == "liquid market"
    assert event.payload["from"]["approval_mode"] == "manual" and event.payload["to"]["approval_mode"] == "autopilot"
    proposal.refresh_from_db()
    assert proposal.status == "approved" and ChildOrder.objects.filter(proposal=proposal).exists()


def test_auto_within_limits_needs_a_cap_and_sets_it(alice, make_order):
    parent = make_order()
    with pytest.raises(InvalidInput, match="needs an auto cap above 0"):
        parent_order_mode_set(parent_id=parent.pk, user=alice, approval_mode="auto_within_limits", reason="x")
    parent_order_mode_set(parent_id=parent.pk, user=alice, approval_mode="auto_within_limits",
                          auto_cap_notional="2500", reason="small slices alone")
    parent.refresh_from_db()
    assert parent.approval_mode == "auto_within_limits" and parent.auto_cap_notional == 2500


@pytest.mark.parametrize("kwargs,message", [
    ({"approval_mode": "autopilot", "reason": "  "}, "a reason is required"),
    ({"approval_mode": "yolo", "reason": "x"}, "unknown approval mode 'yolo'"),
    ({"approval_mode": "manual", "auto_cap_notional": "-5", "reason": "x"}, "auto cap must be zero or more"),
    ({"approval_mode": "manual", "auto_cap_notional": "lots", "reason": "x"}, "auto cap 'lots' is not a number"),
])
def test_bad_mode_changes_are_refused_with_a_reason(alice, make_order, kwargs, message):
    parent = make_order()
    with pytest.raises(InvalidInput, match=message):
        parent_order_mode_set(parent_id=parent.pk, user=alice, **kwargs)
    parent.refresh_from_db()
    assert parent.approval_mode == "manual"
    assert not AuditEvent.objects.filter(action="parent.mode_changed").exists()


def test_a_finished_order_keeps_its_mode(alice, make_order):
    parent = make_order()
    parent_order_cancel(parent_id=parent.pk, user=alice, reason="done")
    with pytest.raises(InvalidInput, match="is CANCELLED"):
        parent_order_mode_set(parent_id=parent.pk, user=alice, approval_mode="autopilot", reason="x")


def test_the_auditor_cannot_change_it(charlie, make_order):
    parent = make_order()
    with pytest.raises(PermissionDenied):
        parent_order_mode_set(parent_id=parent.pk, user=charlie, approval_mode="autopilot", reason="x")


def test_the_page_endpoint_answers_json(client, alice, make_order):
    parent = make_order()
    client.force_login(alice)
    url = reverse("desk:order_mode", kwargs={"order_id": parent.pk})
    ok = client.post(url, {"approval_mode": "autopilot", "reason": "fast"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and ok.json()["approval_mode"] == "autopilot"
    bad = client.post(url, {"approval_mode": "autopilot", "reason": ""}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 409 and "a reason is required" in bad.json()["error"]
