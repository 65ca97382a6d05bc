"""Four-eyes: a proposal whose notional exceeds the desk's threshold needs a supervisor, and an override
above it waits for a supervisor other than the person who wrote it. A parent order above it needs a
supervisor other than its creator to approve it before it starts (services/parent_approval.py)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from execdesk.desk.access.roles import SUPERVISOR, Actor, username
from execdesk.desk.models import ParentOrder, Proposal
from execdesk.desk.services.errors import FourEyesRequired


def four_eyes_threshold() -> Decimal:
    return Decimal(str(settings.EXECDESK["FOUR_EYES_NOTIONAL"]))


def awaiting_second(proposal: Proposal) -> bool:
    """An override written and waiting for a supervisor's approval (still PENDING)."""
    return proposal.status == "pending" and proposal.overridden_by_id is not None


def notional(quantity: Decimal | None, price: Decimal | None, proposal: Proposal) -> Decimal:
    """Quantity × price; a market order is valued at the mid the advisor saw (or the decision price)."""
    if not quantity:
        return Decimal("0")
    if price is None:
        mid = (proposal.market or {}).get("mid")
        price = Decimal(str(mid)) if mid else proposal.parent.decision_price
    return (quantity * price).quantize(Decimal("0.01"))


def proposal_notional(proposal: Proposal) -> Decimal:
    """What approving it would send: the override's terms when one waits, else the proposal's own."""
    if awaiting_second(proposal):
        return notional(proposal.final_quantity, proposal.final_limit_price, proposal)
    return notional(proposal.quantity, proposal.limit_price, proposal)


def needs_supervisor(proposal: Proposal) -> bool:
    return awaiting_second(proposal) or proposal_notional(proposal) > four_eyes_threshold()


def four_eyes_check(proposal: Proposal, actor: Actor) -> None:
    """Raise FourEyesRequired when `actor` may not approve `proposal` alone."""
    if awaiting_second(proposal):
        if actor.user is not None and actor.user.pk == proposal.overridden_by_id:
            raise FourEyesRequired(f"proposal #{proposal.seq}: nobody approves their own override; another "
                                   "supervisor must approve it")
        if actor.role != SUPERVISOR:
            raise FourEyesRequired(f"proposal #{proposal.seq}: the override by {username(proposal.overridden_by)} "
                                   f"({proposal_notional(proposal):,.2f} USDT) needs a supervisor's approval "
                                   f"(you are {actor.role})")
        return
    value = proposal_notional(proposal)
    if value > four_eyes_threshold() and actor.role != SUPERVISOR:
        raise FourEyesRequired(f"proposal #{proposal.seq} is {value:,.2f} USDT, above the desk's four-eyes threshold "
                               f"of {four_eyes_threshold():,.2f} USDT: a supervisor must approve it (you are {actor.role})")


def parent_notional(parent: ParentOrder) -> Decimal:
    """The whole order valued at its decision price."""
    return (parent.quantity * parent.decision_price).quantize(Decimal("0.01"))


def parent_needs_four_eyes(parent: ParentOrder) -> bool:
    return parent_notional(parent) > four_eyes_threshold()


def parent_start_check(parent: ParentOrder) -> None:
    """Raise FourEyesRequired when the order is above the threshold and no supervisor has approved it. Nothing
    bypasses it: autopilot and the CLI start orders through the same service."""
    if parent_needs_four_eyes(parent) and parent.start_approved_by_id is None:
        raise FourEyesRequired(f"order {parent.pk} is {parent_notional(parent):,.2f} USDT, above the desk's four-eyes "
                               f"threshold of {four_eyes_threshold():,.2f} USDT: a supervisor other than its creator "
                               "must approve it before it starts")
