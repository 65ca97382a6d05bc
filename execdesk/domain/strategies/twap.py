"""TWAP: equal slices at equal intervals over the horizon."""

from __future__ import annotations

import math
from dataclasses import dataclass

from execdesk.domain.progress import OrderProgress


@dataclass(frozen=True)
class TWAPConfig:
    horizon_seconds: float
    interval_seconds: float

    def __post_init__(self) -> None:
        if self.horizon_seconds <= 0:
            raise ValueError(f"horizon must be positive, got {self.horizon_seconds} s")
        if self.interval_seconds <= 0:
            raise ValueError(f"interval must be positive, got {self.interval_seconds} s")

    @property
    def n_slices(self) -> int:
        return max(1, math.ceil(self.horizon_seconds / self.interval_seconds - 1e-9))


@dataclass(frozen=True)
class Slice:
    offset_seconds: float  # from the start of execution
    quantity: float


def twap_plan(total_quantity: float, config: TWAPConfig) -> list[Slice]:
    """Even slices; the last slice absorbs rounding so the plan sums exactly to the total."""
    n = config.n_slices
    size = total_quantity / n
    slices = [Slice(i * config.interval_seconds, size) for i in range(n - 1)]
    slices.append(Slice((n - 1) * config.interval_seconds, total_quantity - size * (n - 1)))
    return slices


def twap_target(total_quantity: float, config: TWAPConfig, elapsed_seconds: float) -> float:
    """Quantity the schedule says should be done by `elapsed_seconds` (slices due so far, inclusive)."""
    if elapsed_seconds < 0:
        return 0.0
    due = sum(s.quantity for s in twap_plan(total_quantity, config) if s.offset_seconds <= elapsed_seconds)
    return min(due, total_quantity)


def twap_slice(progress: OrderProgress, config: TWAPConfig) -> float:
    """The baseline slice now: catch up to the schedule, never beyond what remains."""
    elapsed = progress.now - progress.started_at
    behind = twap_target(progress.quantity, config, elapsed) - progress.executed
    if progress.time_left <= 0:
        behind = progress.remaining
    return min(max(behind, 0.0), progress.remaining)
