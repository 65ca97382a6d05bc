"""/api/proposals: the advisor's proposals and the human decisions on them (each happens once)."""

from __future__ import annotations

from typing import Annotated

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from execdesk.desk.api import auth
from execdesk.desk.api.errors import READ, READ_ONE, WRITE_ONE
from execdesk.desk.api.schemas import (
    MAX_ID,
    OverrideIn,
    ProposalFilters,
    ProposalOut,
    ProposalPage,
    RequiredReasonIn,
)
from execdesk.desk.models import Proposal
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.selectors.api import proposal_page
from execdesk.desk.services import proposals

router = Router(tags=["proposals"])

ProposalId = Annotated[int, Path(ge=1, le=MAX_ID, description="the proposal's id")]


def proposal_or_404(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_related("decided_by").filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404(f"proposal {proposal_id} does not exist")
    return proposal


@router.get("/proposals", response={200: ProposalPage, **READ}, summary="List proposals",
            description="Pending proposals (soonest to expire first) unless `status` asks for decided ones "
                        "(newest first); `order` narrows to one parent order.")
def proposal_list(request: HttpRequest, filters: Query[ProposalFilters]):
    f = filters
    rows, count = proposal_page(parent_id=f.order, status=f.status, limit=f.limit, offset=f.offset)
    return {"items": [proposal_payload(p) for p in rows], "count": count, "limit": f.limit, "offset": f.offset}


@router.get("/proposals/{proposal_id}", response={200: ProposalOut, **READ_ONE}, summary="Get a proposal",
            description="The proposal with its reasoning, the risk gate's checks and, once decided, who "
                        "decided what.")
def proposal_get(request: HttpRequest, proposal_id: ProposalId):
    return proposal_payload(proposal_or_404(proposal_id))


@router.post("/proposals/{proposal_id}/approve", auth=auth.TRADE, response={200: ProposalOut, **WRITE_ONE},
             summary="Approve a pending proposal",
             description="Exactly once: a second approval (or one racing another decision) is a 409. The risk "
                         "gate checks the proposal again against the market now; a hard-limit breach is a 409 "
                         "with the gate's `checks`. No body is needed.")
def proposal_approve(request: HttpRequest, proposal_id: ProposalId):
    proposal_or_404(proposal_id)
    return proposal_payload(proposals.proposal_approve(proposal_id=proposal_id, user=auth.caller(request)))


@router.post("/proposals/{proposal_id}/reject", auth=auth.TRADE, response={200: ProposalOut, **WRITE_ONE},
             summary="Reject a pending proposal", description="A reason is required and audited.")
def proposal_reject(request: HttpRequest, proposal_id: ProposalId, payload: RequiredReasonIn):
    proposal_or_404(proposal_id)
    return proposal_payload(proposals.proposal_reject(proposal_id=proposal_id, user=auth.caller(request),
                                                      reason=payload.reason))


@router.post("/proposals/{proposal_id}/override", auth=auth.TRADE, response={200: ProposalOut, **WRITE_ONE},
             summary="Override a pending proposal with your own terms",
             description="Send your quantity, order type, limit price and time in force instead of the "
                         "advisor's; the risk gate checks them as it would any order (a breach is a 409 with "
                         "`checks`). A reason is required and audited.")
def proposal_override(request: HttpRequest, proposal_id: ProposalId, payload: OverrideIn):
    proposal_or_404(proposal_id)
    d = payload
    return proposal_payload(proposals.proposal_override(
        proposal_id=proposal_id, user=auth.caller(request), quantity=d.quantity, order_type=d.order_type,
        limit_price=d.limit_price, tif=d.tif or "", reason=d.reason))
