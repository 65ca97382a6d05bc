"""TWAP: equal slices at equal intervals over the horizon, optionally jittered so the order is hard to spot.

Randomisation (`randomise_size`, `randomise_time`, fractions up to 0.5) is deterministic per
(`seed`, slice index): the same seed gives the same plan, so a backtest replays and a trader can be
shown the plan in advance.

* Size: slice i weighs 1 + randomise_size × u_i, u_i uniform in [−1, 1]; the weights are normalised
  so the plan still sums exactly to the total (each slice is then within about ±randomise_size of
  the even slice, never negative).
* Time: slice i is due at i × interval + randomise_time × v_i × (its interval's length), v_i uniform in
  [0, 1): only later, never earlier, so every slice stays inside its own interval and before the
  deadline (the last interval may be shorter than the others).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import Slice as Slice
from execdesk.domain.strategies.base import StepInput, StrategyDecision, baseline_decision

MAX_RANDOMISE = 0.5  # beyond half an interval / half a slice the plan would stop looking like TWAP


@dataclass(frozen=True)
class TWAPConfig:
    horizon_seconds: float
    interval_seconds: float
    randomise_size: float = 0.0  # fraction of the even slice, 0..0.5
    randomise_time: float = 0.0  # fraction of the interval, 0..0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name, label in (("horizon_seconds", "horizon"), ("interval_seconds", "interval")):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"{label} must be finite, got {value} s")
            if value <= 0:
                raise ValueError(f"{label} must be positive, got {value} s")
        for name in ("randomise_size", "randomise_time"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= MAX_RANDOMISE):
                raise ValueError(f"{name} must be within [0, {MAX_RANDOMISE}], got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    @property
    def n_slices(self) -> int:
        return max(1, math.ceil(self.horizon_seconds / self.interval_seconds - 1e-9))

    @property
    def randomised(self) -> bool:
        return self.randomise_size > 0 or self.randomise_time > 0


def twap_plan(total_quantity: float, config: TWAPConfig) -> list[Slice]:
    """Even slices (jittered when the config says so), never negative, that sum exactly to the total."""
    if not (math.isfinite(total_quantity) and total_quantity >= 0):
        raise ValueError(f"total_quantity must be non-negative and finite, got {total_quantity!r}")
    return [Slice(offset, qty) for offset, qty in zip(_offsets(config), _sizes(total_quantity, config),
                                                       strict=True)]


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


class TWAPStrategy:
    """TWAP behind the `Strategy` protocol: cross the spread with the slices due, catching up a backlog."""

    name = "twap"

    def __init__(self, config: TWAPConfig) -> None:
        self.config = config
        self._grid: tuple[float, list[float], list[float]] | None = None

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        return twap_plan(total_quantity, self.config)

    def target(self, progress: OrderProgress) -> float:
        offsets, cumulative = self._offsets_and_cumulative(progress.quantity)
        elapsed = progress.now - progress.started_at
        if elapsed < 0:
            return 0.0
        return min(cumulative[bisect_right(offsets, elapsed)], progress.quantity)

    def previous_target(self, progress: OrderProgress) -> float:
        """What the schedule wanted done before its latest slice came due: below it, the order is late by
        more than the slice it is expected to be working on now."""
        offsets, cumulative = self._offsets_and_cumulative(progress.quantity)
        elapsed = progress.now - progress.started_at
        if elapsed < 0:
            return 0.0
        return min(cumulative[max(bisect_right(offsets, elapsed) - 1, 0)], progress.quantity)

    def decide(self, step: StepInput) -> StrategyDecision:
        progress = step.progress
        target = self.target(progress)
        behind = progress.remaining if progress.time_left <= 0 else target - progress.executed
        offsets, _ = self._offsets_and_cumulative(progress.quantity)
        due = bisect_right(offsets, progress.now - progress.started_at)
        basis = ("the deadline has passed, everything remaining is due" if progress.time_left <= 0
                 else f"{due} of {len(offsets)} slices due")
        return baseline_decision(self.name, behind, target, progress, basis)

    def _offsets_and_cumulative(self, total_quantity: float) -> tuple[list[float], list[float]]:
        """The plan's offsets and its running sums (cumulative[k] = the first k slices), built once per
        order: `target` is called at every step and the jittered plan costs O(slices) to rebuild."""
        if self._grid is None or self._grid[0] != total_quantity:
            plan = twap_plan(total_quantity, self.config)
            cumulative = [0.0]
            for s in plan:
                cumulative.append(cumulative[-1] + s.quantity)  # left to right, as twap_target's sum
            self._grid = (total_quantity, [s.offset_seconds for s in plan], cumulative)
        return self._grid[1], self._grid[2]


def _offsets(config: TWAPConfig) -> list[float]:
    dt, horizon, r, n = config.interval_seconds, config.horizon_seconds, config.randomise_time, config.n_slices
    if r == 0:
        return [i * dt for i in range(n)]
    offsets = []
    for i, (_, v) in enumerate(_jitter(config.seed, n)):
        start = i * dt
        length = min((i + 1) * dt, horizon) - start
        offsets.append(start + r * v * length)
    return offsets


def _sizes(total_quantity: float, config: TWAPConfig) -> list[float]:
    n = config.n_slices
    if config.randomise_size == 0:
        weights = [1.0] * n
    else:
        weights = [1.0 + config.randomise_size * u for u, _ in _jitter(config.seed, n)]
    running = [0.0]
    for w in weights:
        running.append(running[-1] + w)
    whole = running[-1]
    # Cut points rounded down to whole units of the total's last bit: every slice and running sum is then
    # a multiple of that unit no larger than the total, so the additions are exact and the plan closes on
    # the total to the bit (the same device as vwap_plan).
    unit = math.ulp(total_quantity)
    cuts = [math.floor(total_quantity * (running[k] / whole) / unit) * unit for k in range(n)] + [total_quantity]
    return [cuts[k + 1] - cuts[k] for k in range(n)]


@lru_cache(maxsize=64)
def _jitter(seed: int, n_slices: int) -> tuple[tuple[float, float], ...]:
    """(u in [−1, 1] for the size, v in [0, 1) for the time) of each slice.

    Each slice draws from its own generator seeded by a string of (seed, index): string seeds are
    hashed with SHA-512 by `random`, so the draws do not depend on PYTHONHASHSEED or on the number of
    slices, and two plans with the same seed share the jitter of the slices they have in common.
    """
    draws = []
    for i in range(n_slices):
        rng = random.Random(f"execdesk.twap:{seed}:{i}")
        draws.append((rng.uniform(-1.0, 1.0), rng.random()))
    return tuple(draws)
