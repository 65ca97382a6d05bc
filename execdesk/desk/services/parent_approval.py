"""Four-eyes on a whole parent order: above the desk's four-eyes notional, a supervisor who did not create
the order approves it before it can start. Approvals and refusals are audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from execdesk.desk.access.roles import SUPERVISOR, Actor, require_trader, role_of, username
from execdesk.desk.models import ParentOrder
from execdesk.desk.realtime.payloads import progress_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, refusals_audited
from execdesk.desk.services.errors import FourEyesRequired, InvalidInput
from execdesk.desk.services.four_eyes import four_eyes_threshold, parent_needs_four_eyes, parent_notional
from execdesk.domain.states import ParentStatus


@refusals_audited("parent.approve_refused")
def parent_order_approve(*, parent_id: int, user, reason: str = "") -> ParentOrder:
    """A supervisor's four-eyes approval of an INITIALIZED order above the threshold (exactly once)."""
    require_trader(user, "approving an order")
    actor = Actor.of(user)
    with desk_atomic():
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        _check(parent, actor)
        parent.start_approved_by, parent.start_approved_at = user, timezone.now()
        parent.save(update_fields=["start_approved_by", "start_approved_at"])
        audit_record(actor=actor, action="parent.four_eyes_approved", obj=parent, parent_order_id=parent.pk,
                     payload={"notional": parent_notional(parent), "four_eyes_threshold": four_eyes_threshold(),
                              "created_by": parent.created_by.get_username(), "approved_at": parent.start_approved_at,
                              "reason": (reason or "").strip()[:2000]})
        push_order(parent.pk, "progress", progress_payload(parent))
        return parent


def _check(parent: ParentOrder, actor: Actor) -> None:
    if actor.user is None or role_of(actor.user) != SUPERVISOR:
        raise PermissionDenied(f"approving an order above the four-eyes threshold needs the supervisor role "
                               f"(you are {actor.role})")
    if parent.state != ParentStatus.INITIALIZED:
        raise InvalidInput(f"order {parent.pk} is {parent.status}: only an order not yet started is approved")
    if not parent_needs_four_eyes(parent):
        raise InvalidInput(f"order {parent.pk} is {parent_notional(parent):,.2f} USDT, not above the four-eyes "
                           f"threshold of {four_eyes_threshold():,.2f} USDT: it needs no approval")
    if parent.start_approved_by_id is not None:
        raise FourEyesRequired(f"order {parent.pk} was already approved by {username(parent.start_approved_by)}")
    if parent.created_by_id == actor.user.pk:
        raise FourEyesRequired(f"order {parent.pk}: nobody approves their own order; another supervisor must")
