"""/api/desk/state: the desk-wide trading state (ACTIVE / REDUCING / HALTED) the risk gate reads."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from execdesk.desk.api import auth
from execdesk.desk.api.errors import READ, WRITE
from execdesk.desk.api.schemas import DeskStateIn, DeskStateOut
from execdesk.desk.services import desk_state

router = Router(tags=["desk"])


@router.get("/desk/state", response={200: DeskStateOut, **READ}, summary="The desk's trading state")
def desk_state_get(request: HttpRequest):
    return desk_state.desk_state_payload(desk_state.desk_state())


@router.post("/desk/state", auth=auth.SUPERVISE, response={200: DeskStateOut, **WRITE},
             summary="Set the desk's trading state (supervisor)",
             description="HALTED stops all trading: open child orders are cancelled and pending proposals "
                         "withdrawn. REDUCING allows only orders that bring the desk's net position towards "
                         "zero. A reason is required and audited.")
def desk_state_set(request: HttpRequest, payload: DeskStateIn):
    row = desk_state.desk_trading_state_set(user=auth.caller(request), state=payload.state, reason=payload.reason)
    return desk_state.desk_state_payload(row)
