"""What an advisor proposes: the next action for a parent order, with its reasoning."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from execdesk.domain.orders import OrderType, TimeInForce


class Action(StrEnum):
    AGGRESSIVE = "AGGRESSIVE"  # cross the spread, take liquidity
    PASSIVE = "PASSIVE"  # post a limit order, provide liquidity
    WAIT = "WAIT"  # send nothing now, reassess at the next interval
    ACCELERATE = "ACCELERATE"  # increase the execution rate (bigger slice now)
    DECELERATE = "DECELERATE"  # decrease the execution rate (smaller slice now)
    CANCEL = "CANCEL"  # stop the parent order

    @property
    def sends_order(self) -> bool:
        return self in (Action.AGGRESSIVE, Action.PASSIVE, Action.ACCELERATE, Action.DECELERATE)


@dataclass(frozen=True)
class ProposalDraft:
    advisor: str
    action: Action
    quantity: float
    order_type: OrderType | None
    limit_price: float | None
    reasoning: str
    confidence: float
    risk_assessment: str = ""
    tif: TimeInForce = TimeInForce.GTC
    wait_seconds: float | None = None
    is_fallback: bool = False
    fallback_reason: str = ""
    new_rate: float | None = None  # ACCELERATE / DECELERATE: the execution rate as a multiple of the schedule
    expected_impact_bps: float | None = None

    def with_order(self, *, quantity: float, order_type: OrderType, limit_price: float | None,
                   tif: TimeInForce) -> ProposalDraft:
        return replace(self, quantity=quantity, order_type=order_type, limit_price=limit_price, tif=tif)
