"""Request and response shapes of the REST API.

Responses reuse the dashboard's payloads (`execdesk.desk.realtime.payloads`): quantities and prices are decimal
strings, times are epoch seconds, exactly as the live pushes carry them. Requests take quantities and
prices as decimal strings too, checked here for their format (a person's typo gets a message naming the
field) and then by the services for what they mean (step, tick, limits).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, WithJsonSchema

from execdesk.desk.models import ApprovalMode, ProposalStatus, Strategy
from execdesk.desk.services.inputs import COLUMN_PLACES, MAX_INTEGER_DIGITS
from execdesk.desk.services.parent_orders import ADVISORS, MAX_HORIZON_S, MIN_HORIZON_S
from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP, MAX_CATCHUP_LIMIT
from execdesk.domain.end_policy import DEFAULT_END_POLICY, END_POLICIES
from execdesk.domain.orders import OrderType, TimeInForce
from execdesk.domain.risk import TradingState
from execdesk.domain.states import ParentStatus

MAX_ID = 2**63 - 1  # the database's bigint: a larger id would overflow the query rather than miss

# What the services' decimal_input lets into the database's DecimalField(28, 10): 17 digits before the point
# (one of headroom, see services/inputs.py) and 10 after.
DECIMAL_PATTERN = rf"^[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{COLUMN_PLACES}}})?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)
_NUMBERISH = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def _decimal_string(value: str) -> str:
    # the desk's one number syntax (services/inputs.py): whitespace around it stripped, then the whole text
    # must match (fullmatch: "$" alone would let "0.5\n" through)
    value = value.strip()
    if _DECIMAL.fullmatch(value):
        return value
    if value.strip().startswith("-"):
        raise ValueError(f"must not be negative, got {value[:40]!r}")
    if _NUMBERISH.fullmatch(value):
        raise ValueError(f"has too many digits (at most {MAX_INTEGER_DIGITS} before the point and {COLUMN_PLACES} "
                         f"after), got {value[:40]!r}")
    raise ValueError(f'must be a decimal string such as "0.5" (digits with an optional point; no sign, '
                     f"exponent, NaN or Infinity), got {value[:40]!r}")


def _whole(value: Any) -> Any:
    # the one number syntax: a JSON 10.0 or 1e1 is not a whole number of seconds (pydantic would take it as 10)
    if isinstance(value, float):
        raise ValueError(f"must be a whole number written without a point or an exponent, got {value!r}")
    return value


Seconds = Annotated[int, BeforeValidator(_whole)]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range") from None


def _utc_or_naive_utc(value: datetime) -> datetime:
    return _utc(value if value.tzinfo is not None else value.replace(tzinfo=UTC))


DecimalStr = Annotated[
    str, AfterValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["0.5"],
                    "description": "a non-negative decimal as a string, e.g. \"0.5\""}),
]
Reason = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_utc)]
Moment = Annotated[datetime, AfterValidator(_utc_or_naive_utc)]  # a time in a query; no offset means UTC

OrderStatusName = Literal[tuple(s.value for s in ParentStatus)]  # type: ignore[valid-type]
ProposalStatusName = Literal[tuple(ProposalStatus.values)]  # type: ignore[valid-type]


class Input(Schema):
    """Unknown fields are refused, so a misspelt field ("qty") is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --- requests -------------------------------------------------------------------------------------------

class OrderCreateIn(Input):
    symbol: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$",
                                 examples=["BTCUSDT"])]
    side: Literal["buy", "sell"]
    quantity: DecimalStr = Field(description="base quantity on the instrument's step, e.g. \"0.5\"")
    horizon_seconds: Seconds = Field(ge=MIN_HORIZON_S, le=MAX_HORIZON_S, description="time to complete the order")
    interval_seconds: Seconds | None = Field(None, ge=1, le=MAX_HORIZON_S,
                                         description="seconds between decisions; the desk's default if omitted")
    strategy: Literal[tuple(Strategy.values)] = Strategy.TWAP  # type: ignore[valid-type]
    approval_mode: Literal[tuple(ApprovalMode.values)] = ApprovalMode.MANUAL  # type: ignore[valid-type]
    auto_cap_notional: DecimalStr | None = Field(
        None, description="auto_within_limits approves proposals below this notional (quote currency)")
    notes: Annotated[str, Field(max_length=4000), AfterValidator(_no_nul)] = ""
    venue: Literal["paper", "bybit"] = "paper"
    advisor: Literal[ADVISORS] | None = Field(  # type: ignore[valid-type]
        None, description="None: the strategy's own (rules for adaptive, the schedule otherwise)")
    randomise: float = Field(0.0, ge=0, le=0.5, allow_inf_nan=False,
                             description="slice size jitter as a fraction (0 to 0.5)")
    end_policy: Literal[END_POLICIES] = Field(  # type: ignore[valid-type]
        DEFAULT_END_POLICY.value,
        description="at the deadline: finish (cross the remainder in the last interval, capped by the risk gate; "
                    "ends EXPIRED one interval past the deadline if the gate held some back), expire (stop at the "
                    "deadline, EXPIRED with the remainder) or continue (work on at the last rate until done or "
                    "cancelled)")
    start_at: Timestamp | None = Field(
        None, description="a scheduled start, ISO 8601 with a UTC offset: started before it, the order waits and "
                          "its schedule (and deadline) begin then")
    limit_price: DecimalStr | None = Field(
        None, description="the parent's limit: a buy never fills above it, a sell never below it (none if omitted)")
    max_catchup: float = Field(DEFAULT_MAX_CATCHUP, ge=1, le=MAX_CATCHUP_LIMIT, allow_inf_nan=False,
                               description="the largest slice as a multiple of the scheduled slice: an order "
                                           "behind its schedule catches up at most this much a step (POV follows "
                                           "the volume instead)")
    raise_limits_reason: Reason = Field(
        "", description="supervisors only: create this one order above the desk's limits, for this reason (audited)")
    urgency: Literal["low", "medium", "high"] | None = Field(
        None, description="IS only: Almgren-Chriss risk aversion per bps of the notional (low 1e-4, medium 2e-3, "
                          "high 2e-2 / bps); medium if neither this nor risk_aversion is given")
    risk_aversion: float | None = Field(
        None, ge=0, allow_inf_nan=False,
        description="IS only, instead of urgency: the Almgren-Chriss lambda in 1 / quote currency")
    pov_rate: float | None = Field(None, allow_inf_nan=False,
                                   description="POV only: target share of the volume, in (0, 1]; 0.05 if omitted")
    min_participation: float | None = Field(
        None, allow_inf_nan=False, description="POV only: the share it slows to when ahead of its reference "
                                               "schedule; at most pov_rate")
    max_participation: float | None = Field(
        None, allow_inf_nan=False, description="POV only: the share it speeds up to when behind, and trades at "
                                               "after the deadline; at least pov_rate, at most the desk's cap")


class ReasonIn(Input):
    reason: Reason = ""


class RequiredReasonIn(Input):
    reason: Reason


class ModeIn(Input):
    approval_mode: Literal[tuple(ApprovalMode.values)]  # type: ignore[valid-type]
    auto_cap_notional: DecimalStr | None = None
    reason: Reason


class AmendIn(Input):
    quantity: DecimalStr | None = Field(None, description="the new total quantity of the parent order")
    deadline: Timestamp | None = Field(None, description="the new deadline, ISO 8601 with a UTC offset")
    reason: Reason


class OverrideIn(Input):
    quantity: DecimalStr
    order_type: Literal[tuple(t.value for t in OrderType)]  # type: ignore[valid-type]
    limit_price: DecimalStr | None = Field(None, description="required unless order_type is market")
    tif: Literal[tuple(t.value for t in TimeInForce)] | None = Field(  # type: ignore[valid-type]
        None, description="IOC for market orders, GTC otherwise, if omitted")
    reason: Reason


class DeskStateIn(Input):
    state: Literal[tuple(s.value for s in TradingState)]  # type: ignore[valid-type]
    reason: Reason


class Page(Schema):
    limit: int = Field(50, ge=1, le=200, description="items per page (1 to 200)")
    offset: int = Field(0, ge=0, le=10**9, description="items to skip")


class OrderFilters(Page):
    status: OrderStatusName | None = None  # type: ignore[valid-type]  # a Literal built from the enum
    symbol: Annotated[str, Field(max_length=32)] | None = None


class ProposalFilters(Page):
    order: int | None = Field(None, ge=1, le=MAX_ID, description="only this parent order's proposals")
    status: ProposalStatusName = Field(  # type: ignore[valid-type]  # a Literal built from the enum
        "pending", description="pending (the default) or a decided status")


class AuditQuery(Schema):
    order: int | None = Field(None, ge=1, le=MAX_ID, description="one parent order's events")
    since: Moment | None = Field(None, description="events at or after this time (ISO 8601; UTC if no offset)")
    until: Moment | None = Field(None, description="events before this time")
    format: Literal["json", "csv"] = "json"


# --- responses ------------------------------------------------------------------------------------------

class ErrorOut(Schema):
    detail: str = Field(description="what was wrong, in words")
    checks: list[dict[str, Any]] | None = Field(None, description="the risk gate's checks, when it refused")


class ProgressOut(Schema):
    id: int
    status: str
    symbol: str
    side: str
    quantity: str
    executed: str
    remaining: str
    progress_pct: float
    avg_price: str | None
    decision_price: str | None
    is_bps: float | None
    fees: str | None
    time_left_s: float
    started_at: float | None
    deadline: float | None
    approval_mode: str
    strategy: str
    advisor: str
    end_policy: str = Field(description="what the order does at its deadline: finish, expire or continue")
    max_catchup: float = Field(description="the largest slice as a multiple of the scheduled slice")
    limit_price: str | None = Field(description="the parent's limit price (a buy never above, a sell never below)")
    start_at: float | None = Field(description="the scheduled start (epoch seconds), if any")
    tca: dict[str, Any] = Field(description="the TCA figures the dashboard shows live")


class OrderOut(ProgressOut):
    horizon_seconds: int
    interval_seconds: int
    venue: str
    auto_cap_notional: str | None
    rate: float
    notes: str
    created_by: str
    created_at: float
    ended_at: float | None
    pretrade: dict[str, Any] = Field(description="the pre-trade cost estimate made at creation")
    notional: str = Field(description="quantity × decision price")
    four_eyes_required: bool = Field(description="above the desk's four-eyes notional: a supervisor other than the "
                                                 "creator approves it before it starts")
    start_approved_by: str | None = Field(description="the supervisor who approved it (four-eyes)")
    limits_raised: dict[str, Any] = Field(description="a supervisor's raise of the desk's limits for this order: "
                                                      "by, reason, breaches; empty when none")
    urgency: str | None = Field(None, description="IS: the urgency given (low, medium, high); None when the risk "
                                                  "aversion was given directly or the default (medium) applies")
    risk_aversion: float | None = Field(None, description="IS: the Almgren-Chriss lambda given directly (1 / quote)")
    pov_rate: float | None = Field(None, description="POV: the target rate given (None: the desk's 5 %)")
    min_participation: float | None = Field(None, description="POV: the min participation given")
    max_participation: float | None = Field(None, description="POV: the max participation given")


class ProposalOut(Schema):
    id: int
    order_id: int
    seq: int
    advisor: str
    action: str
    quantity: str | None
    order_type: str
    limit_price: str | None
    tif: str
    reasoning: str
    confidence: float
    risk_assessment: str
    risk_checks: list[dict[str, Any]]
    risk_blocked: bool
    is_fallback: bool
    fallback_reason: str
    new_rate: float | None
    baseline_qty: str | None
    expected_impact_bps: float | None
    status: str
    created_at: float | None
    expires_at: float | None
    decided_by: str | None
    decision_reason: str
    final_quantity: str | None
    final_order_type: str
    final_limit_price: str | None
    final_tif: str
    slice_impact_bps: float | None
    advisor_latency_ms: float | None
    notional: str | None
    four_eyes_threshold: str | None
    needs_supervisor: bool
    awaiting_second: bool
    overridden_by: str | None
    override_reason: str
    mid: float | None
    spread_bps: float | None


class ChildOut(Schema):
    id: int
    order_id: int
    order_link_id: str
    side: str
    order_type: str
    tif: str
    quantity: str | None
    price: str | None
    status: str
    filled_qty: str | None
    avg_price: str | None
    impact_bps: float | None
    reject_reason: str
    created_at: float | None
    reasoning: str
    action: str


class FillOut(Schema):
    exec_id: str
    order_link_id: str
    qty: str | None
    price: str | None
    fee: str | None
    fee_currency: str
    liquidity: str
    ts: float | None


class OrderDetailOut(OrderOut):
    proposals: list[ProposalOut] = Field(description="the latest 50, newest first")
    children: list[ChildOut] = Field(description="the latest 100 child orders, newest first")
    fills: list[FillOut]
    market: dict[str, Any] = Field(description="the order's market now (marked stale if the venue is unreachable)")
    schedule: list[list[float]] = Field(description="[seconds from start, cumulative quantity] of the plan")
    strategy_label: str
    advisor_record: dict[str, Any] | None = Field(description="Claude's record on this order; null otherwise")


class OrderPage(Schema):
    items: list[OrderOut]
    count: int = Field(description="orders matching the filters, over all pages")
    unreadable: list[int] = Field(description="ids of orders on this page whose stored figures the database cannot "
                                              "read (left out of items; the desk's log names them)")
    limit: int
    offset: int


class ProposalPage(Schema):
    items: list[ProposalOut]
    count: int
    limit: int
    offset: int


class TcaOut(Schema):
    order_id: int
    status: str
    symbol: str
    side: str
    quantity: str
    executed: str
    decision_price: str | None
    avg_price: str | None
    is_bps: float | None = Field(description="implementation shortfall against the decision price, bps: fees and "
                                             "the unfilled part's opportunity and completion cost included; the "
                                             "same number as report.is_bps (docs/tca.md)")
    fees: str | None
    report: dict[str, Any] | None = Field(
        description="the full TCA report (execdesk.domain.tca.TCAReport, see docs/tca.md), refreshed on "
                    "every fill, each markout and when the order ends (then its final mark is kept); null "
                    "before the first fill")
    pretrade: dict[str, Any] = Field(description="the pre-trade cost estimate made at creation")


class DeskStateOut(Schema):
    trading_state: str
    reason: str
    changed_by: str
    changed_at: str | None


class AuditRowOut(Schema):
    id: int
    ts: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    parent_order_id: int | None
    payload: dict[str, Any]
    market_ref: dict[str, Any]
    prev_hash: str
    hash: str
