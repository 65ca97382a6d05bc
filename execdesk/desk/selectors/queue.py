"""The approval queue: every pending proposal the signed-in user may decide, oldest first, each with its
order's context. Who may decide what is the desk's one permission model (access/roles.py: ownership and
roles; services/four_eyes.py: the four-eyes rule), asked here exactly as the approving service asks it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.utils import timezone

from execdesk.desk.access.roles import Actor, can_trade, require_owner
from execdesk.desk.models import Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import queue_row_payload
from execdesk.desk.services.errors import FourEyesRequired
from execdesk.desk.services.four_eyes import four_eyes_check
from execdesk.domain.states import ParentStatus

# a proposal can be decided while its order works (the approving service refuses it, naming why, at the
# moment the order cannot take it, and the row shows that refusal)
WORKING = tuple(s.value for s in ParentStatus if s.is_working)


def may_decide(user, proposal: Proposal) -> bool:
    """Whether the decision on `proposal` waits for `user`: the ownership check and the four-eyes check the
    approving service runs (proposals.proposal_approve), answered without raising. A four-eyes proposal waits
    for a supervisor, not for its trader; one the risk gate blocks is listed (an override or a rejection
    decides it, and its row says approving is blocked)."""
    if not can_trade(user):
        return False
    actor = Actor.of(user)
    try:
        require_owner(actor, proposal.parent, "decide its proposals")
        four_eyes_check(proposal, actor)
    except (PermissionDenied, FourEyesRequired):
        return False
    return True


def proposal_queue(*, user) -> list[Proposal]:
    """The pending, unexpired proposals of working orders that `user` may decide, oldest first."""
    if not can_trade(user):
        return []
    # the role is asked once per row (ownership, four-eyes): read the user's groups once, not once a row
    prefetch_related_objects([user], "groups")
    pending = (Proposal.objects.filter(status=ProposalStatus.PENDING, expires_at__gt=timezone.now(),
                                       parent__status__in=WORKING)
               .select_related("parent", "parent__created_by", "decided_by", "overridden_by")
               .order_by("created_at", "pk"))
    return [p for p in pending if may_decide(user, p)]


def queue_state(*, user) -> dict[str, Any]:
    """What the queue page, the desk page's queue panel and their resyncs draw."""
    return {"rows": [queue_row_payload(p) for p in proposal_queue(user=user)]}
