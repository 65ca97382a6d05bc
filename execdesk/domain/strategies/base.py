"""What every execution strategy offers the desk and the backtest: a schedule, a target and a decision.

A strategy is given the order's progress and the market at each step and answers with an intent
(`StrategyDecision`): an action, a quantity and the reason in plain words. It never sends anything;
the advisor turns the intent into a proposal and the risk gate checks it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from execdesk.domain.market import MarketSnapshot
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action


@dataclass(frozen=True)
class Slice:
    offset_seconds: float  # from the start of execution
    quantity: float


@dataclass(frozen=True)
class StepInput:
    """One decision's inputs.

    `market_volume_since_last`: base quantity the market printed since our last child order (POV).
    `max_participation`: the risk gate's cap on our share of the volume, ours / (ours + market's).
    """

    progress: OrderProgress
    market: MarketSnapshot
    interval_s: float
    market_volume_since_last: float = 0.0
    max_participation: float = 0.10

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise ValueError(f"interval_s must be positive and finite, got {self.interval_s!r}")
        if not (math.isfinite(self.market_volume_since_last) and self.market_volume_since_last >= 0):
            raise ValueError(f"market_volume_since_last must be non-negative and finite, "
                             f"got {self.market_volume_since_last!r}")
        if not (math.isfinite(self.max_participation) and 0 < self.max_participation <= 1):
            raise ValueError(f"max_participation must be within (0, 1], got {self.max_participation!r}")


@dataclass(frozen=True)
class StrategyDecision:
    """What the strategy wants now. `quantity` is within [0, remaining] and is 0 exactly when WAIT."""

    action: Action
    quantity: float
    schedule_target: float  # cumulative quantity the schedule wants done by now
    reason: str

    def __post_init__(self) -> None:
        if self.action is Action.CANCEL:
            raise ValueError("a strategy never decides CANCEL: stopping an order is the trader's call")
        if not (math.isfinite(self.quantity) and self.quantity >= 0):
            raise ValueError(f"quantity must be non-negative and finite, got {self.quantity!r}")
        if (self.action is Action.WAIT) != (self.quantity == 0):
            raise ValueError(f"quantity must be 0 exactly when the action is WAIT, got {self.action} "
                             f"with quantity {self.quantity!r}")


class Strategy(Protocol):
    name: str

    def target(self, progress: OrderProgress) -> float:
        """Cumulative quantity the schedule wants done by `progress.now`."""
        ...

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        """The planned slices (offset from the start, quantity) for charts; they sum to the total."""
        ...

    def decide(self, step: StepInput) -> StrategyDecision:
        """The intent now, never more than what remains."""
        ...


def baseline_decision(name: str, quantity: float, target: float, progress: OrderProgress,
                      basis: str) -> StrategyDecision:
    """The scheduled strategies' intent: cross the spread with the slice due, or wait when none is.

    `basis` says in words where the slice comes from (the schedule, the volume seen…); the quantity is
    clamped to [0, remaining] here so no strategy can hand the desk more than the order has left.
    """
    remaining = progress.remaining
    qty = min(max(quantity, 0.0), remaining) if math.isfinite(quantity) else 0.0
    done = (f"{name.upper()}: executed {progress.executed:.6g} of {progress.quantity:.6g}, "
            f"schedule {target:.6g} by now")
    if remaining <= 0:
        return StrategyDecision(Action.WAIT, 0.0, target, f"{done}; the order is complete.")
    if qty <= 0:
        return StrategyDecision(Action.WAIT, 0.0, target, f"{done}; {basis}: nothing due now.")
    return StrategyDecision(Action.AGGRESSIVE, qty, target, f"{done}; {basis}: sending {qty:.6g}.")


def quantity_at_participation(rate: float, market_volume: float) -> float:
    """The largest q with q / (q + market_volume) <= rate, as the risk gate evaluates it in floats.

    rate / (1 − rate) × market_volume, nudged down by the last bit or two when rounding would put the
    share a hair above `rate`: a slice at the cap must never be refused for a rounding bit.
    """
    if not (math.isfinite(rate) and 0 < rate <= 1):
        raise ValueError(f"rate must be within (0, 1], got {rate!r}")
    if not (math.isfinite(market_volume) and market_volume >= 0):
        raise ValueError(f"market_volume must be non-negative and finite, got {market_volume!r}")
    if market_volume == 0:
        return 0.0
    if rate >= 1:
        return math.inf
    quantity = rate / (1 - rate) * market_volume
    while quantity > 0 and quantity / (quantity + market_volume) > rate:
        quantity = math.nextafter(quantity, 0.0)
    return quantity

