"""POV (percentage of volume): trade a fixed share of what the market prints.

Participation follows the risk gate's convention: ours / (ours + market's). To be `rate` of the total
volume after the market printed `m`, we trade q with q / (q + m) = rate, that is q = rate / (1 − rate) × m
(10 % of the volume is 0.111… × the market's own volume, not 0.1 ×).

POV does not guarantee completion: it goes as fast as the market lets it. Before the deadline it
trades at `target_rate`; from the deadline on it speeds up to `max_participation` (the cap, a hard risk
limit) and carries on until done or cancelled, but never dumps the remainder at the deadline the way
TWAP and VWAP do. Whether it can finish in time is `pov_expected_completion_s` against the time left;
that call, and what to do when the answer is no, belong to the trader and the advisor.

A trader may bound the rate (`POVTerms`): target R within [min A, max B]. Before the deadline POV then
steers within the bounds towards its reference schedule (the volume curve over the horizon): behind it by
more than one interval's even share of the order, at B; ahead by more than that, at A; else at R
(`pov_rate_now`). From the deadline on it trades at B. Every child is then between A and B of the volume
the market printed since our last child (less only when it is what remains or when the risk gate's cap is
lower). Without bounds A = B = R and POV is as above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import quantity_at_participation


@dataclass(frozen=True)
class POVConfig:
    target_rate: float
    max_participation: float = 0.10
    min_slice: float = 0.0  # below this a slice waits for more volume (unless it finishes the order)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.target_rate) and 0 < self.target_rate <= 1):
            raise ValueError(f"target_rate must be within (0, 1], got {self.target_rate!r}")
        if not (math.isfinite(self.max_participation) and 0 < self.max_participation <= 1):
            raise ValueError(f"max_participation must be within (0, 1], got {self.max_participation!r}")
        if self.target_rate > self.max_participation:
            raise ValueError(f"target_rate must not exceed max_participation, got target_rate="
                             f"{self.target_rate!r} > max_participation={self.max_participation!r}")
        if not (math.isfinite(self.min_slice) and self.min_slice >= 0):
            raise ValueError(f"min_slice must be non-negative and finite, got {self.min_slice!r}")


def pov_slice(progress: OrderProgress, config: POVConfig, market_volume_since_last: float) -> float:
    """Our child quantity now, given the market's volume since our last child order.

    Measure `market_volume_since_last` from the last child order sent (`progress.last_order_at`), not
    from the last decision: a slice held back below `min_slice` then carries its volume forward. The
    result never exceeds what remains nor the participation cap; a slice below `min_slice` is zero
    unless it is everything that remains. Zero before the start.
    """
    if not (math.isfinite(market_volume_since_last) and market_volume_since_last >= 0):
        raise ValueError(f"market_volume_since_last must be non-negative and finite, "
                         f"got {market_volume_since_last!r}")
    remaining = progress.remaining
    if progress.now < progress.started_at or remaining <= 0:
        return 0.0
    rate = config.target_rate if progress.time_left > 0 else config.max_participation
    quantity = min(quantity_at_participation(rate, market_volume_since_last),
                   quantity_at_participation(config.max_participation, market_volume_since_last),
                   remaining)
    if quantity < config.min_slice and quantity < remaining:
        return 0.0
    return quantity


def pov_expected_completion_s(remaining: float, rate: float, market_volume_per_s: float) -> float:
    """Seconds to trade `remaining` at participation `rate` while the market prints `market_volume_per_s`.

    0 when nothing remains; infinite when the market is silent. Compare with `progress.time_left` to
    know whether the order can finish by its deadline at this rate.
    """
    if not (math.isfinite(remaining) and remaining >= 0):
        raise ValueError(f"remaining must be non-negative and finite, got {remaining!r}")
    if not (math.isfinite(rate) and 0 < rate <= 1):
        raise ValueError(f"rate must be within (0, 1], got {rate!r}")
    if not (math.isfinite(market_volume_per_s) and market_volume_per_s >= 0):
        raise ValueError(f"market_volume_per_s must be non-negative and finite, got {market_volume_per_s!r}")
    if remaining == 0:
        return 0.0
    if market_volume_per_s == 0:
        return math.inf
    if rate == 1:
        return 0.0  # all the volume is ours: as fast as we like
    return remaining / (rate / (1 - rate) * market_volume_per_s)


def pov_rate_to_finish(quantity: float, expected_market_volume: float) -> float:
    """The participation rate at which POV is expected to trade `quantity` exactly while the market prints
    `expected_market_volume`: q / (q + V), the inverse of `pov_expected_completion_s` (ours over ours plus
    the market's, the risk gate's convention). A backtest sets POV's rate with it so that POV works over the
    same horizon as the scheduled strategies it is compared with.
    """
    if not (math.isfinite(quantity) and quantity > 0):
        raise ValueError(f"quantity must be positive and finite, got {quantity!r}")
    if not (math.isfinite(expected_market_volume) and expected_market_volume > 0):
        raise ValueError(f"expected_market_volume must be positive and finite, got {expected_market_volume!r}")
    return quantity / (quantity + expected_market_volume)


def _check_fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and 0 < value <= 1):
        raise ValueError(f"{name} must be within (0, 1], got {value!r}")
    return float(value)


def check_participation_bounds(min_participation: float | None, max_participation: float | None) -> None:
    """Each bound given within (0, 1], and min <= max; ValueError naming the problem."""
    if min_participation is not None:
        _check_fraction("min_participation", min_participation)
    if max_participation is not None:
        _check_fraction("max_participation", max_participation)
    if min_participation is not None and max_participation is not None and min_participation > max_participation:
        raise ValueError(f"min_participation ({min_participation:g}) must not exceed max_participation "
                         f"({max_participation:g})")


@dataclass(frozen=True)
class POVTerms:
    """A trader's POV: target `rate`, optional `min_participation` and `max_participation` (fractions of the
    volume, ours / (ours + market's)), with min <= rate <= max. A bound not given is the rate itself."""

    rate: float
    min_participation: float | None = None
    max_participation: float | None = None

    def __post_init__(self) -> None:
        _check_fraction("pov_rate", self.rate)
        check_participation_bounds(self.min_participation, self.max_participation)
        if not self.low <= self.rate <= self.high:
            raise ValueError(f"pov_rate ({self.rate:g}) must be within [min_participation {self.low:g}, "
                             f"max_participation {self.high:g}]")

    @property
    def low(self) -> float:
        return self.rate if self.min_participation is None else self.min_participation

    @property
    def high(self) -> float:
        return self.rate if self.max_participation is None else self.max_participation

    @property
    def bounded(self) -> bool:
        return self.low < self.high

    def clip(self, rate: float) -> float:
        """`rate` brought within [low, high] (a rate the backtest derives from the expected volume)."""
        return min(max(rate, self.low), self.high)

    def to_dict(self) -> dict[str, float | None]:
        return {"pov_rate": self.rate, "min_participation": self.min_participation,
                "max_participation": self.max_participation}


def pov_rate_now(progress: OrderProgress, terms: POVTerms, reference_target: float, band: float,
                 cap: float) -> tuple[float, str]:
    """The participation rate POV trades at now, never above the risk gate's `cap`, and why.

    Before the deadline: `terms.high` when the order is behind `reference_target` (what the reference
    schedule wants done by now) by more than `band`, `terms.low` when ahead by more than `band`, else the
    target rate. From the deadline on: `terms.max_participation`, or the cap when none was given.
    """
    _check_fraction("cap", cap)
    if not (math.isfinite(band) and band >= 0):
        raise ValueError(f"band must be non-negative and finite, got {band!r}")
    if progress.time_left <= 0:
        after = cap if terms.max_participation is None else min(terms.max_participation, cap)
        return after, "the deadline has passed"
    behind = reference_target - progress.executed
    if terms.bounded and behind > band:
        why = f"behind the reference schedule by {behind:.6g} (more than {band:.6g}): at the max"
        return min(terms.high, cap), why
    if terms.bounded and -behind > band:
        return min(terms.low, cap), f"ahead of the reference schedule by {-behind:.6g} (more than {band:.6g}): at the min"
    return min(terms.rate, cap), "at the target rate"


def pov_expected_duration_s(quantity: float, terms: POVTerms, market_volume_per_s: float, horizon_s: float,
                            cap: float) -> tuple[float, float]:
    """`(seconds, rate)`: how long POV is expected to take for `quantity` while the market prints
    `market_volume_per_s`, and the rate it is expected to work at before the deadline.

    The rate is the target, or -- with bounds -- the rate that finishes at the horizon brought within them
    (POV steers towards its reference schedule). What that rate leaves at the horizon is traded at the
    after-deadline rate (`max_participation`, else `cap`). Infinite when the market is silent.
    """
    for name, value in (("quantity", quantity), ("horizon_s", horizon_s)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive and finite, got {value!r}")
    _check_fraction("cap", cap)
    if not (math.isfinite(market_volume_per_s) and market_volume_per_s >= 0):
        raise ValueError(f"market_volume_per_s must be non-negative and finite, got {market_volume_per_s!r}")
    if market_volume_per_s == 0:
        return math.inf, terms.rate
    rate = terms.clip(pov_rate_to_finish(quantity, market_volume_per_s * horizon_s)) if terms.bounded else terms.rate
    rate = min(rate, cap)
    before = pov_expected_completion_s(quantity, rate, market_volume_per_s)
    if before <= horizon_s:
        return before, rate
    done = quantity * horizon_s / before
    after = min(terms.max_participation or cap, cap)
    return horizon_s + pov_expected_completion_s(quantity - done, after, market_volume_per_s), rate
