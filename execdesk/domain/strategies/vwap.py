"""VWAP for 24/7 crypto: slices follow the market's hour-of-day (UTC) volume profile.

The schedule is a continuous curve: the share of the parent order due by a moment is the share of the
horizon's expected market volume printed by then (`vwap_target`). The plan cuts that curve at the same
grid as TWAP (one slice per interval, due at the start of its interval), so a flat curve over a horizon
that is a whole number of intervals gives TWAP's plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.twap import Slice, TWAPConfig

HOUR = 3600.0
DAY = 24 * HOUR
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class VolumeCurve:
    """Expected share of a day's volume traded in each UTC hour of the day (index 0 = 00:00–01:00).

    Weights are normalised on construction so that they sum to 1; within an hour volume is assumed to
    arrive at a constant rate, so the curve is piecewise constant.
    """

    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        weights = tuple(float(w) for w in self.weights)
        if len(weights) != HOURS_PER_DAY:
            raise ValueError(f"weights must hold {HOURS_PER_DAY} hourly values, got {len(weights)}")
        for hour, w in enumerate(weights):
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weights[{hour}] must be non-negative and finite, got {w!r}")
        total = math.fsum(weights)
        if total <= 0:
            raise ValueError(f"weights must not all be zero, got sum {total!r}")
        object.__setattr__(self, "weights", tuple(w / total for w in weights))

    @classmethod
    def flat(cls) -> VolumeCurve:
        """Every hour alike: VWAP on this curve is TWAP in continuous time."""
        return cls((1.0,) * HOURS_PER_DAY)

    @classmethod
    def from_hourly_volumes(cls, samples: Iterable[tuple[float, float]]) -> VolumeCurve:
        """Build the profile from recent history: `(ts, volume)` pairs, `ts` in Unix seconds (UTC).

        Each sample is filed under the UTC hour of day its `ts` falls in and the samples of an hour are
        averaged, so a history of uneven length (3 Mondays, 2 Tuesdays…) is not biased towards the hours
        it happens to cover more often. Samples must all cover the same duration: Bybit 1-h klines (their
        `startTime` is in milliseconds: divide by 1000) or the simulator's per-minute volumes.

        An hour of day with no sample at all is filled with the average of the hours that have data
        (a flat fallback: absent evidence, the hour is assumed to be an ordinary one). An hour whose
        samples are all zero is data and keeps a zero weight.

        Raises ValueError on no samples, a non-finite timestamp, a negative or non-finite volume, or a
        history whose volumes are all zero.
        """
        sums = [0.0] * HOURS_PER_DAY
        counts = [0] * HOURS_PER_DAY
        for raw_ts, raw_volume in samples:
            ts, volume = float(raw_ts), float(raw_volume)
            if not math.isfinite(ts):
                raise ValueError(f"sample ts must be finite, got {ts!r}")
            if not math.isfinite(volume) or volume < 0:
                raise ValueError(f"sample volume must be non-negative and finite, got {volume!r} at ts={ts!r}")
            hour = int(ts // HOUR) % HOURS_PER_DAY
            sums[hour] += volume
            counts[hour] += 1
        observed = [s / n for s, n in zip(sums, counts, strict=True) if n]
        if not observed:
            raise ValueError("samples must hold at least one (ts, volume) pair, got none")
        ordinary_hour = math.fsum(observed) / len(observed)
        if ordinary_hour <= 0:
            raise ValueError(f"samples must show some volume, got {sum(counts)} samples all of volume 0")
        return cls(tuple(s / n if n else ordinary_hour for s, n in zip(sums, counts, strict=True)))

    def weight_between(self, start: float, end: float) -> float:
        """Expected volume from `start` to `end` (Unix seconds) in days of volume: a whole day is 1.

        Zero when `end <= start`; see `weight_after`.
        """
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"start and end must be finite, got start={start!r}, end={end!r}")
        return self.weight_after(start, end - start)

    def weight_after(self, start: float, seconds: float) -> float:
        """Expected volume over the `seconds` after `start` (Unix seconds), in days of volume.

        The piecewise-constant curve is integrated exactly, hour boundary by hour boundary, wrapping at
        midnight; zero for `seconds <= 0`. Taking a duration rather than an end time keeps offsets such
        as `3 * interval` exact (`start + offset - start` loses bits at today's timestamps).
        Non-decreasing in `seconds` to the last bit (whole days are counted apart and the partial day
        is walked in the same order whatever its length), which keeps targets built on it monotone.
        """
        if not (math.isfinite(start) and math.isfinite(seconds)):
            raise ValueError(f"start and seconds must be finite, got start={start!r}, seconds={seconds!r}")
        if seconds <= 0:
            return 0.0
        days, rest = divmod(seconds, DAY)
        partial = self._within_a_day(start % DAY, rest) / math.fsum(self.weights)
        return days + min(partial, 1.0)

    def _within_a_day(self, time_of_day: float, span: float) -> float:
        """Integrated weight over `span` (< one day) seconds from `time_of_day` seconds after midnight."""
        # `start % DAY` can round up to DAY itself for a start a hair before midnight: hour 23 then
        # contributes an empty segment and the walk carries on into the next day.
        hour = min(int(time_of_day // HOUR), HOURS_PER_DAY - 1)
        total = 0.0
        segment_start = 0.0
        while segment_start < span:
            boundary = (hour + 1) * HOUR - time_of_day  # the end of this hour, seconds after the start
            segment_end = min(boundary, span)
            if segment_end > segment_start:
                total += self.weights[hour % HOURS_PER_DAY] * ((segment_end - segment_start) / HOUR)
            segment_start = boundary
            hour += 1
        return total


@dataclass(frozen=True)
class VWAPConfig:
    """`catch_up`: the multiple of the backlog (plan quantity already due but not done) added to the
    slice: 1.0 recovers all of it at once, 0.5 half now and the rest on later steps, above 1 gets ahead.
    `max_ahead_fraction`: when what is done exceeds the volume curve's target by more than this share
    of the parent order, no new slice is started until the market's volume catches up."""

    horizon_seconds: float
    interval_seconds: float
    curve: VolumeCurve
    catch_up: float = 1.0
    max_ahead_fraction: float = 0.05

    def __post_init__(self) -> None:
        if not (math.isfinite(self.horizon_seconds) and self.horizon_seconds > 0):
            raise ValueError(f"horizon_seconds must be positive and finite, got {self.horizon_seconds!r}")
        if not (math.isfinite(self.interval_seconds) and self.interval_seconds > 0):
            raise ValueError(f"interval_seconds must be positive and finite, got {self.interval_seconds!r}")
        if not isinstance(self.curve, VolumeCurve):
            raise ValueError(f"curve must be a VolumeCurve, got {self.curve!r}")
        if not (math.isfinite(self.catch_up) and self.catch_up > 0):
            raise ValueError(f"catch_up must be positive and finite, got {self.catch_up!r}")
        if not (math.isfinite(self.max_ahead_fraction) and 0 <= self.max_ahead_fraction <= 1):
            raise ValueError(f"max_ahead_fraction must be within [0, 1], got {self.max_ahead_fraction!r}")

    @property
    def n_slices(self) -> int:
        # The very grid TWAP uses, so the two plans line up slice for slice.
        return TWAPConfig(self.horizon_seconds, self.interval_seconds).n_slices


def vwap_target(total_quantity: float, config: VWAPConfig, started_at: float, now: float) -> float:
    """Quantity the volume curve says should be done by `now` (Unix seconds).

    total × weight(started_at → now) / weight(started_at → started_at + horizon): 0 before the start,
    the total from the deadline on, non-decreasing in between. If the curve gives the whole horizon no
    volume at all, the target runs linearly in time instead.
    """
    _check_quantity("total_quantity", total_quantity)
    if not math.isfinite(started_at):
        raise ValueError(f"started_at must be finite, got {started_at!r}")
    if not math.isfinite(now):
        raise ValueError(f"now must be finite, got {now!r}")
    if now >= started_at + config.horizon_seconds:
        return total_quantity
    return _target_after(total_quantity, config, started_at, now - started_at)


def _target_after(total_quantity: float, config: VWAPConfig, started_at: float, elapsed: float) -> float:
    if elapsed <= 0:
        return 0.0
    if elapsed >= config.horizon_seconds:
        return total_quantity
    whole = config.curve.weight_after(started_at, config.horizon_seconds)
    if whole > 0:
        fraction = config.curve.weight_after(started_at, elapsed) / whole
    else:
        fraction = elapsed / config.horizon_seconds
    return total_quantity * min(fraction, 1.0)


def vwap_plan(total_quantity: float, config: VWAPConfig, started_at: float) -> list[Slice]:
    """One slice per interval, due at the interval's start and sized by the curve's volume over it.

    Quantities are non-negative and add up (left to right, as `sum` does) to the total exactly.
    """
    _check_quantity("total_quantity", total_quantity)
    if not math.isfinite(started_at):
        raise ValueError(f"started_at must be finite, got {started_at!r}")
    n = config.n_slices
    dt = config.interval_seconds
    # Cut points are rounded down to whole units of the total's last bit: every slice and every running
    # sum is then a multiple of that unit no larger than the total, so all the additions are exact and
    # the last slice (total minus the running sum) closes the plan on the total to the bit.
    unit = math.ulp(total_quantity)
    cuts = [math.floor(_target_after(total_quantity, config, started_at, i * dt) / unit) * unit
            for i in range(n)] + [total_quantity]
    return [Slice(i * dt, cuts[i + 1] - cuts[i]) for i in range(n)]


def vwap_slice(progress: OrderProgress, config: VWAPConfig) -> float:
    """The baseline slice now.

    On schedule it is what is left of the current interval's plan slice (the plan's slices are due at
    the start of their interval, as in TWAP, so polling more often than once an interval adds nothing).
    Behind the plan, `catch_up` × the backlog is added. More than `max_ahead_fraction` of the order ahead
    of the volume curve: zero, until the market's volume catches up. Never more than remains; at or
    after the deadline, everything that remains.
    """
    remaining = progress.remaining
    if progress.time_left <= 0:
        return remaining
    start, now, total, executed = progress.started_at, progress.now, progress.quantity, progress.executed
    if now < start or remaining <= 0:
        return 0.0
    if executed - vwap_target(total, config, start, now) > config.max_ahead_fraction * total:
        return 0.0
    dt = config.interval_seconds
    n = config.n_slices
    elapsed = now - start
    i = min(int(elapsed // dt), n - 1)
    # Same rule as TWAP for which slices are due (offset <= elapsed), whatever the float division said.
    while i + 1 < n and (i + 1) * dt <= elapsed:
        i += 1
    while i > 0 and i * dt > elapsed:
        i -= 1
    due_before = _target_after(total, config, start, i * dt)
    due_through = total if i == n - 1 else _target_after(total, config, start, (i + 1) * dt)
    backlog = max(due_before - executed, 0.0)
    current = due_through - max(executed, due_before)
    return min(max(current + config.catch_up * backlog, 0.0), remaining)


def _check_quantity(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be non-negative and finite, got {value!r}")
