"""Market scenarios for the simulator: what changes, by how much and when.

Every time is in seconds relative to the *scenario start*, the end of the simulator's warm-up (the
moment the market is created for), so an order started then meets the regime. Every knob scales or
shifts the calm baseline of :class:`execdesk.market.sim.SimParams`: multipliers are 1 and additions 0
when nothing changes. A scenario's name keys the simulator's randomness, so two scenarios never share a
path by accident; the regime suite deliberately holds a control (``calm``, where no timing can help)
next to regimes where reading the market can.

Intraday profiles are by UTC hour of day and applied normalised to a mean of 1, so a profile moves volume,
spread or depth between hours without changing the day's total; the simulator's print rate follows
``volume_by_hour``, which is what VWAP learns from the market's own history.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import numpy as np

from execdesk.domain.scheduled_events import ScheduledEvent

HOURS_PER_DAY = 24
HOUR_S = 3600.0
FLAT: tuple[float, ...] = (1.0,) * HOURS_PER_DAY
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _finite(owner: str, name: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{owner}.{name} must be a finite number, got {value!r}")


def _positive(owner: str, name: str, value: float) -> None:
    _finite(owner, name, value)
    if value <= 0:
        raise ValueError(f"{owner}.{name} must be positive, got {value!r}")


def _profile(owner: str, name: str, values: tuple[float, ...]) -> tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) != HOURS_PER_DAY:
        raise ValueError(f"{owner}.{name} must hold {HOURS_PER_DAY} hourly values, got {len(values)}")
    for hour, v in enumerate(values):
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{owner}.{name}[{hour}] must be positive and finite, got {v!r}")
    return values


def normalised(profile: tuple[float, ...]) -> np.ndarray:
    """An hourly profile scaled to a mean of 1 (kept raw on the scenario so that a scenario rebuilt from
    its dict is equal to the original to the bit)."""
    values = np.asarray(profile, dtype=np.float64)
    return values / (math.fsum(profile) / HOURS_PER_DAY)


@dataclass(frozen=True)
class Episode:
    """A stretch ``[start_s, end_s)`` during which the market's knobs are changed.

    Inside the stretch the multipliers apply in full, ramping in and out linearly over ``ramp_s``
    (multipliers geometrically, additions linearly) so no knob jumps. Overlapping episodes compose:
    multipliers multiply, additions add.

    * ``drift_per_hour``: log drift of the fair price (0.003 = +30 bps an hour);
    * ``vol``: volatility multiplier; ``spread``: multiplier of the touch spread in ticks;
      ``spread_bps``: widening added to the touch spread, in bps of the price (how market makers widen
      when they are scared, whatever the tick);
    * ``depth``: book-size multiplier; ``prints``: multiplier of the rate of public prints;
    * ``oi_per_hour``: log drift of open interest (−0.05 = positions closing at ~5 % an hour).
    """

    start_s: float
    end_s: float
    ramp_s: float = 0.0
    drift_per_hour: float = 0.0
    vol: float = 1.0
    spread: float = 1.0
    spread_bps: float = 0.0
    depth: float = 1.0
    prints: float = 1.0
    oi_per_hour: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _finite("Episode", f.name, getattr(self, f.name))
        if self.end_s <= self.start_s:
            raise ValueError(f"Episode.end_s ({self.end_s!r}) must be after start_s ({self.start_s!r})")
        if not 0 <= self.ramp_s <= (self.end_s - self.start_s) / 2:
            raise ValueError(f"Episode.ramp_s must be within [0, half the episode], got {self.ramp_s!r}")
        for name in ("vol", "spread", "depth", "prints"):
            _positive("Episode", name, getattr(self, name))
        if self.spread_bps < 0:
            raise ValueError(f"Episode.spread_bps must be non-negative, got {self.spread_bps!r}")

    def weight(self, t: np.ndarray) -> np.ndarray:
        """How much of the episode is in force at each time ``t`` (0 outside, 1 in full)."""
        inside = (t >= self.start_s) & (t < self.end_s)
        if self.ramp_s == 0:
            return inside.astype(np.float64)
        ramp = np.minimum(t - self.start_s, self.end_s - t) / self.ramp_s
        return np.where(inside, np.clip(ramp, 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class Jump:
    """A price jump at ``at_s`` of a size drawn uniformly in ``[size_min, size_max]`` (log return),
    up or down with equal odds per seed: the time of the news is known, its direction is not.

    After it, volatility, print rate, spread widening and thinning of the book start at the given
    levels and relax back to normal with ``decay_half_life_s``.
    """

    at_s: float
    size_min: float = 0.01
    size_max: float = 0.02
    decay_half_life_s: float = 300.0
    vol: float = 4.0
    prints: float = 5.0
    spread_bps: float = 6.0
    depth: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            _finite("Jump", f.name, getattr(self, f.name))
        if not 0 < self.size_min <= self.size_max < 0.5:
            raise ValueError(f"Jump sizes must satisfy 0 < size_min <= size_max < 0.5, "
                             f"got {self.size_min!r} and {self.size_max!r}")
        for name in ("decay_half_life_s", "vol", "prints", "depth"):
            _positive("Jump", name, getattr(self, name))
        if self.spread_bps < 0:
            raise ValueError(f"Jump.spread_bps must be non-negative, got {self.spread_bps!r}")

    @property
    def rms_bps(self) -> float:
        """The root mean square of the jump's size (uniform in ``[size_min, size_max]``), in bps: its typical
        move, which a calendar can know without knowing its direction."""
        a, b = self.size_min, self.size_max
        return math.sqrt((a * a + a * b + b * b) / 3.0) * 1e4

    def after(self, t: np.ndarray) -> np.ndarray:
        """The share of the after-shock still in force at ``t``: 1 just after the jump, halving every
        ``decay_half_life_s``, 0 before it."""
        dt = t - self.at_s
        return np.where(dt > 0, np.exp2(-np.maximum(dt, 0.0) / self.decay_half_life_s), 0.0)


@dataclass(frozen=True)
class FundingEvent:
    """The funding rate (per 8 h) climbs linearly from the baseline to ``peak`` over the ``build_s``
    seconds before the funding time ``at_s``, then relaxes back with ``relax_half_life_s``."""

    at_s: float
    peak: float = 0.0008
    build_s: float = 7200.0
    relax_half_life_s: float = 1800.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _finite("FundingEvent", f.name, getattr(self, f.name))
        if not -0.01 < self.peak < 0.01:
            raise ValueError(f"FundingEvent.peak must be within (-1 %, 1 %) per 8 h, got {self.peak!r}")
        _positive("FundingEvent", "build_s", self.build_s)
        _positive("FundingEvent", "relax_half_life_s", self.relax_half_life_s)

    def share(self, t: np.ndarray) -> np.ndarray:
        """How far the funding rate is from its baseline towards the peak at ``t`` (0 … 1)."""
        climb = np.clip((t - (self.at_s - self.build_s)) / self.build_s, 0.0, 1.0)
        relax = np.exp2(-np.maximum(t - self.at_s, 0.0) / self.relax_half_life_s)
        return np.where(t <= self.at_s, climb, relax)


@dataclass(frozen=True)
class CalendarEntry:
    """A scheduled event the scenario's desk knows of: ``at_s`` after the scenario start, its typical
    absolute move ``move_bps`` (direction unknown), a ``name`` and the ``source`` of the figure. The
    backtest hands it to the pre-trade estimate as a :class:`execdesk.domain.scheduled_events.ScheduledEvent`,
    as the desk's calendar would."""

    at_s: float
    move_bps: float
    name: str
    source: str = ""

    def __post_init__(self) -> None:
        _finite("CalendarEntry", "at_s", self.at_s)
        _finite("CalendarEntry", "move_bps", self.move_bps)
        self.event(0.0)  # the domain's checks: a negative move or an empty name is refused here

    def event(self, start_ts: float) -> ScheduledEvent:
        return ScheduledEvent(at_ts=start_ts + self.at_s, move_bps=self.move_bps, name=self.name,
                              source=self.source)


class Modulation(NamedTuple):
    """Per-second knobs of a stretch of the market (arrays aligned with the seconds asked for)."""

    drift: np.ndarray  # log drift of the fair price per second
    vol: np.ndarray  # volatility multiplier
    spread: np.ndarray  # multiplier of the spread in ticks
    spread_bps: np.ndarray  # spread widening in bps
    depth: np.ndarray  # book-size multiplier
    prints: np.ndarray  # print-rate multiplier
    oi_drift: np.ndarray  # log drift of open interest per second
    funding_shift: np.ndarray  # added to the baseline funding rate (per 8 h)


@dataclass(frozen=True)
class Scenario:
    """A named regime: episodes, an optional jump and funding event, intraday profiles, and the scheduled
    events a desk would have on its calendar for it (``calendar``)."""

    name: str
    description: str
    episodes: tuple[Episode, ...] = ()
    jump: Jump | None = None
    funding: FundingEvent | None = None
    volume_by_hour: tuple[float, ...] = FLAT
    spread_by_hour: tuple[float, ...] = FLAT
    depth_by_hour: tuple[float, ...] = FLAT
    calendar: tuple[CalendarEntry, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"Scenario.name must be lower-case letters, digits and '_', got {self.name!r}")
        if not self.description:
            raise ValueError(f"Scenario {self.name}: description must not be empty")
        episodes = tuple(self.episodes)
        if not all(isinstance(e, Episode) for e in episodes):
            raise ValueError(f"Scenario {self.name}: episodes must be Episode objects, got {episodes!r}")
        object.__setattr__(self, "episodes", episodes)
        calendar = tuple(self.calendar)
        if not all(isinstance(e, CalendarEntry) for e in calendar):
            raise ValueError(f"Scenario {self.name}: calendar must hold CalendarEntry objects, got {calendar!r}")
        object.__setattr__(self, "calendar", calendar)
        for name in ("volume_by_hour", "spread_by_hour", "depth_by_hour"):
            object.__setattr__(self, name, _profile(f"Scenario {self.name}", name, getattr(self, name)))

    def modulation(self, k: np.ndarray, start_ts: float, jump_return: float = 0.0) -> Modulation:
        """The knobs for the seconds ``k`` (seconds since the scenario start, second ``k`` covering
        ``(k - 1, k]``) of a market whose scenario starts at Unix time ``start_ts``.

        ``jump_return`` is this seed's signed jump (see :class:`Jump`); it is added to the drift of the
        second that ends at ``jump.at_s``.
        """
        t = k.astype(np.float64)
        n = t.shape[0]
        ones, zeros = np.ones(n), np.zeros(n)
        drift, log_vol, log_spread, spread_bps = zeros, zeros, zeros, zeros
        log_depth, log_prints, oi_drift, funding_shift = zeros, zeros, zeros, zeros
        for e in self.episodes:
            w = e.weight(t)
            if not w.any():
                continue
            drift = drift + w * (e.drift_per_hour / HOUR_S)
            log_vol = log_vol + w * math.log(e.vol)
            log_spread = log_spread + w * math.log(e.spread)
            spread_bps = spread_bps + w * e.spread_bps
            log_depth = log_depth + w * math.log(e.depth)
            log_prints = log_prints + w * math.log(e.prints)
            oi_drift = oi_drift + w * (e.oi_per_hour / HOUR_S)
        if self.jump is not None:
            j = self.jump
            after = j.after(t)
            log_vol = log_vol + np.log1p((j.vol - 1) * after)
            log_prints = log_prints + np.log1p((j.prints - 1) * after)
            spread_bps = spread_bps + j.spread_bps * after
            log_depth = log_depth + np.log1p((j.depth - 1) * after)
            drift = np.where(t == round(j.at_s), drift + jump_return, drift)
        if self.funding is not None:
            funding_shift = self.funding.share(t)  # scaled by the peak above the baseline in the engine
        hours = None
        factors = []
        for logs, profile in ((log_spread, self.spread_by_hour), (log_depth, self.depth_by_hour),
                              (log_prints, self.volume_by_hour)):
            factor = ones if logs is zeros else np.exp(logs)
            if len(set(profile)) > 1:
                if hours is None:
                    hours = (np.floor((start_ts + t - 1) / HOUR_S) % HOURS_PER_DAY).astype(np.intp)
                factor = factor * normalised(profile)[hours]
            factors.append(factor)
        vol = ones if log_vol is zeros else np.exp(log_vol)
        return Modulation(drift, vol, factors[0], spread_bps, factors[1], factors[2], oi_drift, funding_shift)

    def scheduled_events(self, start_ts: float) -> tuple[ScheduledEvent, ...]:
        """The calendar for a market whose scenario starts at Unix time ``start_ts``."""
        return tuple(entry.event(start_ts) for entry in self.calendar)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scenario:
        return cls(
            name=d["name"],
            description=d["description"],
            episodes=tuple(Episode(**e) for e in d.get("episodes", ())),
            jump=None if d.get("jump") is None else Jump(**d["jump"]),
            funding=None if d.get("funding") is None else FundingEvent(**d["funding"]),
            volume_by_hour=tuple(d.get("volume_by_hour", FLAT)),
            spread_by_hour=tuple(d.get("spread_by_hour", FLAT)),
            depth_by_hour=tuple(d.get("depth_by_hour", FLAT)),
            calendar=tuple(CalendarEntry(**e) for e in d.get("calendar", ())),
        )


# Relative print rate by UTC hour for BTC perpetuals: the Asian morning (00-02) is busy, the lull is the
# hand-over from Asia to Europe (04-06), Europe fills the morning and the US open (13:30-16 UTC, on top
# of the European afternoon) is the day's peak; the US evening fades into a quiet 21-23.
SESSION_VOLUME: tuple[float, ...] = (
    1.00, 0.95, 0.85, 0.75, 0.65, 0.60, 0.65, 0.80, 0.95, 1.00, 1.00, 1.00,
    1.10, 1.35, 1.60, 1.60, 1.45, 1.30, 1.15, 1.10, 1.05, 0.95, 0.85, 0.90,
)
# Market makers quote wider and smaller in the quiet hours: spread ~ volume^-1/2, depth ~ volume^1/2.
SESSION_SPREAD: tuple[float, ...] = tuple(v ** -0.5 for v in SESSION_VOLUME)
SESSION_DEPTH: tuple[float, ...] = tuple(v ** 0.5 for v in SESSION_VOLUME)

_FOREVER = 30 * 24 * HOUR_S  # regimes that last for the whole of any backtest
_NEWS = Jump(at_s=900.0)
_FUNDING_AT_S = 1200.0
# The funding scenario's unwind: 80 bps an hour from 5 minutes before to 25 minutes after the funding time
_UNWIND = Episode(_FUNDING_AT_S - 300.0, _FUNDING_AT_S + 1500.0, ramp_s=120.0, drift_per_hour=-0.008,
                  oi_per_hour=-0.06)
_FLAT_NOTE = " Volume profile: flat (every UTC hour alike), so the market's history teaches VWAP nothing."


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "calm",
            "The control: a pure martingale (zero drift, the price is a martingale), steady liquidity and "
            "steady flow. Nothing in the market predicts the next move, so clever timing cannot beat "
            "TWAP here except by trading less aggressively." + _FLAT_NOTE,
        ),
        Scenario(
            "trend_up",
            "The price drifts up 30 bps an hour (7 % a day: a strong but ordinary trending day for BTC) "
            "from an hour before the start, under 1 % hourly noise, so it is barely visible in the 1-h "
            "move; a buyer gains by trading early, a seller by waiting." + _FLAT_NOTE,
            episodes=(Episode(-HOUR_S, _FOREVER, drift_per_hour=0.003),),
        ),
        Scenario(
            "trend_down",
            "The mirror of trend_up: the price drifts down 30 bps an hour from an hour before the start; "
            "a seller gains by trading early, a buyer by waiting." + _FLAT_NOTE,
            episodes=(Episode(-HOUR_S, _FOREVER, drift_per_hour=-0.003),),
        ),
        Scenario(
            "high_vol",
            "A volatile session already under way an hour before the start: 3.5x volatility (3.5 % an "
            "hour, between the adaptive policy's 3 % warning and the risk gate's 5 % stop), spreads "
            "twice as wide plus 1 bps, 40 % less depth and 60 % more prints. Still a martingale: "
            "risk, not drift." + _FLAT_NOTE,
            episodes=(Episode(-HOUR_S, _FOREVER, vol=3.5, spread=2.0, spread_bps=1.0, depth=0.6,
                              prints=1.6),),
        ),
        Scenario(
            "drought",
            "A liquidity drought from 5 to 25 minutes after the start (2-minute ramps): the spread "
            "blows out by 12 bps, the book thins to a fifth, prints fall to 30 % and volatility rises "
            "1.3x. A strategy that waits it out and catches up afterwards pays less than one that "
            "keeps crossing." + _FLAT_NOTE,
            episodes=(Episode(300.0, 1500.0, ramp_s=120.0, spread=3.0, spread_bps=12.0, depth=0.2,
                              prints=0.3, vol=1.3),),
        ),
        Scenario(
            "news_jump",
            "Scheduled news 15 minutes after the start: market makers thin the book (70 % depth, 1.5x "
            "spread) in the 5 minutes before it, then the price jumps 1-2 %, up or down with equal "
            "odds, followed by 4x volatility, 5x prints, 6 bps wider spreads and half the depth, "
            "relaxing with a 5-minute half-life." + _FLAT_NOTE,
            episodes=(Episode(600.0, 900.0, depth=0.7, spread=1.5),),
            jump=_NEWS,
            calendar=(CalendarEntry(_NEWS.at_s, _NEWS.rms_bps, "news release",
                                    "the scheduled release's time; its size is the RMS of the 1-2 % jump"),),
        ),
        Scenario(
            "funding_event",
            "Crowded longs: funding climbs to +0.08 % per 8 h at the funding time 20 minutes after the "
            "start (it already reads ~0.07 % at the start) and relaxes afterwards; from 5 minutes before "
            "to 25 minutes after it longs unwind, open interest falls ~6 % an hour and the price drifts "
            "down 80 bps an hour (about -40 bps in all). A buyer gains by waiting for the pullback, a "
            "seller by going early." + _FLAT_NOTE,
            episodes=(_UNWIND,),
            funding=FundingEvent(at_s=_FUNDING_AT_S, peak=0.0008, build_s=7200.0, relax_half_life_s=1800.0),
            calendar=(CalendarEntry(_FUNDING_AT_S, abs(_UNWIND.drift_per_hour) * 1e4 * (_UNWIND.end_s - _UNWIND.start_s) / HOUR_S,
                                    "funding",
                                    "the funding time; its size is the unwind, 80 bps an hour for 30 minutes"),),
        ),
        Scenario(
            "seasonality",
            "Intraday sessions by UTC hour: print rate from 0.6x (04-06, the Asia-Europe hand-over) to "
            "1.6x (14-16, the US open), spread ~ volume^-1/2 and depth ~ volume^1/2. Otherwise calm. "
            "Volume profile: SESSION_VOLUME, the one VWAP should learn from the history.",
            volume_by_hour=SESSION_VOLUME,
            spread_by_hour=SESSION_SPREAD,
            depth_by_hour=SESSION_DEPTH,
        ),
    )
}


def resolve_scenarios(spec: str) -> list[Scenario]:
    """``"all"`` or a comma list of scenario names, in the order given, without repeats."""
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    if names == ["all"]:
        return list(SCENARIOS.values())
    valid = ", ".join(SCENARIOS)
    if not names:
        raise ValueError(f"no scenario given: use 'all' or a comma list of {valid}")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                         f"valid: all, {valid}")
    return [SCENARIOS[n] for n in dict.fromkeys(names)]


def scenario_named(scenario: str | Scenario) -> Scenario:
    """A scenario object from a name (or the object itself)."""
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, str) or scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; valid: {', '.join(SCENARIOS)}")
    return SCENARIOS[scenario]
