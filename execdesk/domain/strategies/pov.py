"""POV (percentage of volume): trade a fixed share of what the market prints.

Participation follows the risk gate's convention: ours / (ours + market's). To be `rate` of the total
volume after the market printed `m`, we trade q with q / (q + m) = rate, that is q = rate / (1 − rate) × m
(10 % of the volume is 0.111… × the market's own volume, not 0.1 ×).

POV does not guarantee completion: it goes as fast as the market lets it. Before the deadline it
trades at `target_rate`; from the deadline on it speeds up to `max_participation` (the cap, a hard risk
limit) and carries on until done or cancelled, but never dumps the remainder at the deadline the way
TWAP and VWAP do. Whether it can finish in time is `pov_expected_completion_s` against the time left;
that call, and what to do when the answer is no, belong to the trader and the advisor.
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
