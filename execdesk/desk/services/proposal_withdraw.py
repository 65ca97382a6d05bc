"""Withdraw an order's pending proposal (it was sized for terms that no longer hold): the order stopped,
was amended or ended, or the desk halted. Its replacement, if the order still works, is due at once."""

from __future__ import annotations

from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.models import ParentOrder, Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.step_due import parent_step_soon


def supersede_pending(parent: ParentOrder, actor: Actor, reason: str) -> None:
    for proposal in Proposal.objects.select_for_update().filter(parent=parent, status=ProposalStatus.PENDING):
        proposal.status = ProposalStatus.SUPERSEDED
        proposal.decided_at = timezone.now()
        proposal.decision_reason = reason
        proposal.save(update_fields=["status", "decided_at", "decision_reason"])
        audit_record(actor=actor, action="proposal.superseded", obj=proposal, parent_order_id=parent.pk,
                     payload={"seq": proposal.seq, "reason": reason})
        push_order(parent.pk, "proposal", proposal_payload(proposal))
    parent_step_soon(parent.pk)  # the withdrawn proposal's replacement is due at once
