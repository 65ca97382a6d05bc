"""What Claude may answer: two tools whose input schemas are generated from these pydantic models.

The schema is the contract the model is forced into (`tool_choice` names the tool); the same models
then validate what comes back, strictly: unknown fields, wrong types, non-finite numbers and values out
of range are errors, never coerced. Domain limits (remaining quantity, slice caps, price band) are
checked afterwards against the live order in `advisors.validate`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DECISION_TOOL = "submit_execution_decision"
IMPACT_TOOL = "submit_impact_adjustment"
RATE_MIN, RATE_MAX = 0.25, 4.0  # the execution rate as a multiple of the strategy's schedule


class DecisionAction(StrEnum):
    AGGRESSIVE = "AGGRESSIVE"
    PASSIVE = "PASSIVE"
    WAIT = "WAIT"
    ACCELERATE = "ACCELERATE"
    DECELERATE = "DECELERATE"
    CANCEL = "CANCEL"


class DecisionOrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    POST_ONLY = "POST_ONLY"


class DecisionTIF(StrEnum):
    GTC = "GTC"
    IOC = "IOC"


_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ExecutionDecision(BaseModel):
    """The next execution action for the parent order."""

    model_config = _STRICT

    action: DecisionAction = Field(description="AGGRESSIVE crosses the spread now; PASSIVE posts a limit at or "
                                               "behind the touch; WAIT sends nothing this interval; ACCELERATE / "
                                               "DECELERATE change the execution rate (and size this slice); "
                                               "CANCEL asks the trader to stop the parent order.")
    quantity: float = Field(ge=0, description="Base quantity of the next child order (0 for WAIT and CANCEL).")
    order_type: DecisionOrderType | None = Field(
        description="MARKET, LIMIT or POST_ONLY for actions that send an order; null for WAIT and CANCEL.")
    limit_price: float | None = Field(gt=0, description="Limit price for LIMIT / POST_ONLY; null for MARKET.")
    time_in_force: DecisionTIF | None = Field(description="GTC or IOC; null when no order is sent.")
    wait_seconds: float | None = Field(ge=0, le=3600, description="For WAIT: seconds until the next look.")
    new_rate: float | None = Field(ge=RATE_MIN, le=RATE_MAX,
                                   description="For ACCELERATE / DECELERATE: the new execution rate as a multiple "
                                               "of the strategy's schedule (1.0 = on schedule); null otherwise.")
    reasoning: str = Field(min_length=1, max_length=4000,
                           description="Why this action now, citing the figures it rests on.")
    confidence: float = Field(ge=0, le=1, description="How sure you are of this action, 0 to 1.")
    risk_assessment: str = Field(max_length=2000, description="What could go wrong with this action.")
    expected_impact_bps: float = Field(ge=-1000, le=1000,
                                       description="Expected market impact of this child order in basis points.")


class ImpactAdjustment(BaseModel):
    """A multiplier on the base impact model's estimate for this order, with the reason."""

    model_config = _STRICT

    multiplier: float = Field(description="Factor applied to the base model's impact estimate; the desk clamps "
                                          "it to [0.5, 2.0].")
    reasoning: str = Field(min_length=1, max_length=2000,
                           description="What in the market state or the notes moves impact away from the model.")


def tool(name: str, model: type[BaseModel], description: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return {"name": name, "description": description, "input_schema": schema}


DECISION_TOOL_SPEC = tool(DECISION_TOOL, ExecutionDecision,
                          "Submit the next execution action for the parent order. Every field is required; use "
                          "null where a field does not apply to the action.")
IMPACT_TOOL_SPEC = tool(IMPACT_TOOL, ImpactAdjustment,
                        "Submit the impact multiplier for this order relative to the base model's estimate.")
