"""A seeded, self-moving market for one symbol: fair-price path, 50-level book, public prints, funding, OI.

Two layers:

* The **exogenous path** (what the rest of the market does) is generated with numpy, an hour of seconds
  ("chunk") at a time, from ``numpy.random.default_rng`` seeded with stable integers derived from
  (seed, symbol, scenario name, chunk index, stream) — crc32 for strings, never ``hash()``. Per second
  it holds the fair-price log return, the touch spread in ticks, a book-depth multiplier, the public
  prints (count, sizes, aggressor sides, times), funding and open interest. Seconds are counted from
  the *scenario start* (the end of the warm-up, ``k = 0``), where the fair price equals the requested
  start price; later chunks continue from the values at the end of the previous one, the warm-up chunk
  runs backwards from ``k = 0``. Any second is therefore reproducible, the state never stores RNG state,
  and a market restored from ``to_state()`` regenerates its chunks and continues exactly like the
  original.
* **Our own trades** move the market on top of that path: a permanent shift of the fair price, a
  transient displacement of the book's centre that decays, and depletion of the levels we took, which
  refill with the book's resilience. These are kept as a few numbers and decayed in closed form, so the
  market at second ``k`` does not depend on how ``advance_to`` was called to get there.

Second ``k`` covers the clock from ``start_ts + k - 1`` to ``start_ts + k``; its prints fall inside it
and are priced on the book as it stands at ``k``. The warm-up only bounds how far back the market's
memory (rolling statistics, last trades) reaches at creation; ``hourly_volumes`` reads further back,
as Bybit's klines would.

Public prints are :class:`Trade` objects at the prices of the book levels they hit (touch first,
walking deeper when larger than the level), so the paper venue's queue model only fills resting orders
that the market really trades at or through. Other traders' prints do not deplete the book (its depth
multiplier already models their liquidity); ours do. The market's volume statistics count the other
traders' prints only: our own fills are the caller's to count.

Rolling statistics (1-min and 1-h volume, 1-h volatility from minute marks of the fair price, 1-h open
interest change) come from per-chunk cumulative sums: O(1) per snapshot. The volatility is the market's
own (our permanent impact, a few bps per order, is left out so that the statistic is a pure function of
the exogenous path).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.market.regimes import Modulation, Scenario, scenario_named

STATE_VERSION = 2
CHUNK_S = 3600  # seconds generated at once; also the longest rolling window (1 h)
_LOT_EPS = 1e-9  # float slack when converting a quantity to whole lots
_DEPLETION_FLOOR = 1e-12  # depletion below this (base units) counts as refilled
_LAST_TRADES = 10

# Independent random streams of one chunk: volumes can be generated without the price path.
_STREAM_PATH, _STREAM_VOLUME, _STREAM_PRINTS, _STREAM_ANCHOR, _STREAM_JUMP, _STREAM_KNOTS = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class SimParams:
    """Defaults model Bybit BTCUSDT linear: a deep 0.1-tick book, ~1 % hourly volatility, ~540 BTC an hour
    of public prints. ``tick_size`` and ``qty_step`` default to the instrument's."""

    tick_size: float | None = None
    qty_step: float | None = None
    levels: int = 50
    vol_per_hour: float = 0.01  # std-dev of the 1-h log return of the fair price
    spread_ticks_median: float = 2.0  # touch spread in ticks, before regimes
    spread_noise: float = 0.35  # log std-dev of the spread around its median (slow: see half-life)
    spread_half_life_s: float = 60.0
    spread_ticks_min: int = 1
    spread_max_bps: float = 50.0  # no spread wider than this, whatever the regime
    touch_qty: float = 1.5  # mean base quantity at the touch
    depth_growth: float = 0.05  # each level deeper holds 5 % more than the touch
    depth_noise: float = 0.35  # log-normal sigma of individual level sizes
    depth_noise_period_s: int = 60  # level sizes drift from one random profile to the next over this
    depth_vol: float = 0.2  # log std-dev of the whole book's size (slow: see half-life)
    depth_half_life_s: float = 300.0
    trade_rate_per_s: float = 1.5  # Poisson arrival of public prints (aggressor orders)
    trade_size_mean: float = 0.1
    trade_size_sigma: float = 1.0  # log-normal sigma of print sizes
    flow_momentum: float = 0.1  # how much the aggressor side leans with the second's price move
    resilience_half_life_s: float = 5.0  # levels we depleted refill with this half-life
    permanent_impact_per_unit: float = 2.5e-4  # fair price moves 2.5 bps per unit of our signed qty
    temporary_impact_per_unit: float = 1.0e-4  # extra transient displacement per unit of our qty
    displacement_half_life_s: float = 30.0  # the transient displacement reverts with this half-life
    funding_mean: float = 0.0001  # per 8 h
    funding_reversion_per_s: float = 1 / 3600
    funding_vol_per_s: float = 1.2e-6  # stationary std-dev ~0.005 % around the mean
    funding_limit: float = 0.00375
    open_interest_start: float = 50_000.0
    open_interest_vol_per_hour: float = 0.01
    max_steps_per_call: int = 900  # seconds of prints one advance_to returns at most (long gaps)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in ("tick_size", "qty_step"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"SimParams.{f.name} must be a finite number, got {value!r}")
        positive = ("tick_size", "qty_step", "vol_per_hour", "spread_ticks_median", "spread_half_life_s",
                    "spread_max_bps", "touch_qty", "depth_half_life_s", "trade_rate_per_s", "trade_size_mean",
                    "resilience_half_life_s", "displacement_half_life_s", "funding_reversion_per_s",
                    "funding_limit", "open_interest_start")
        for name in positive:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"SimParams.{name} must be positive, got {value!r}")
        non_negative = ("spread_noise", "depth_growth", "depth_noise", "depth_vol", "trade_size_sigma",
                        "permanent_impact_per_unit", "temporary_impact_per_unit", "funding_vol_per_s",
                        "open_interest_vol_per_hour")
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"SimParams.{name} must be non-negative, got {getattr(self, name)!r}")
        for name in ("levels", "spread_ticks_min", "depth_noise_period_s", "max_steps_per_call"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SimParams.{name} must be a positive whole number, got {value!r}")
        if CHUNK_S % self.depth_noise_period_s:
            raise ValueError(f"SimParams.depth_noise_period_s must divide {CHUNK_S}, "
                             f"got {self.depth_noise_period_s!r}")
        if not 0 <= self.flow_momentum <= 0.5:
            raise ValueError(f"SimParams.flow_momentum must be within [0, 0.5], got {self.flow_momentum!r}")
        if abs(self.funding_mean) >= self.funding_limit:
            raise ValueError(f"SimParams.funding_mean ({self.funding_mean!r}) must lie within ±funding_limit "
                             f"({self.funding_limit!r})")


# Start price and microstructure per simulated symbol, sized like Bybit's linear contracts: ETH trades
# in larger units at a twentieth of BTC's price, so its prints are bigger and each unit moves it less.
SIM_PRESETS: dict[str, tuple[float, SimParams]] = {
    "BTCUSDT": (65_000.0, SimParams()),
    "ETHUSDT": (3_400.0, SimParams(touch_qty=25.0, trade_size_mean=1.6, permanent_impact_per_unit=1.3e-5,
                                   temporary_impact_per_unit=5e-6, open_interest_start=900_000.0)),
}


# ---------------------------------------------------------------------- the exogenous path, vectorised


@dataclass(frozen=True)
class _Ident:
    """Everything the exogenous path depends on (hashable: it keys the chunk caches)."""

    seed: int
    symbol: str
    scenario: Scenario
    params: SimParams
    start_ts: float
    start_price: float


@dataclass(frozen=True)
class _Consts:
    """Constants derived once from the params."""

    tick: float
    step: float
    tick_num: int  # tick = tick_num / tick_den exactly: n * tick_num / tick_den is the price of tick n,
    tick_den: int  # correctly rounded (as round(n * tick, digits) would give it, only faster)
    step_num: int
    step_den: int
    price_digits: int
    qty_digits: int
    sigma_s: float
    oi_sigma_s: float
    resilience: float
    displacement_decay: float
    trade_mu: float
    profile: tuple[float, ...]
    spread_a: float
    depth_a: float
    spread_s: float
    depth_s: float
    funding_a: float
    funding_sd: float


def _digits(increment: float) -> int:
    return max(0, -int(math.floor(math.log10(increment) + 1e-9)))


def _decay(half_life_s: float) -> float:
    """The per-second factor that halves a quantity every ``half_life_s``."""
    return math.pow(0.5, 1.0 / half_life_s)


@lru_cache(maxsize=32)
def _consts(p: SimParams) -> _Consts:
    assert p.tick_size is not None and p.qty_step is not None
    funding_a = math.exp(-p.funding_reversion_per_s)
    tick_num, tick_den = Decimal(repr(p.tick_size)).as_integer_ratio()
    step_num, step_den = Decimal(repr(p.qty_step)).as_integer_ratio()
    return _Consts(
        tick=p.tick_size,
        step=p.qty_step,
        tick_num=tick_num,
        tick_den=tick_den,
        step_num=step_num,
        step_den=step_den,
        price_digits=_digits(p.tick_size),
        qty_digits=_digits(p.qty_step),
        sigma_s=p.vol_per_hour / 60.0,
        oi_sigma_s=p.open_interest_vol_per_hour / 60.0,
        resilience=_decay(p.resilience_half_life_s),
        displacement_decay=_decay(p.displacement_half_life_s),
        trade_mu=math.log(p.trade_size_mean) - p.trade_size_sigma**2 / 2,
        profile=tuple(p.touch_qty * (1 + p.depth_growth * i) for i in range(p.levels)),
        spread_a=_decay(p.spread_half_life_s),
        depth_a=_decay(p.depth_half_life_s),
        spread_s=p.spread_noise * math.sqrt(1 - _decay(p.spread_half_life_s) ** 2),
        depth_s=p.depth_vol * math.sqrt(1 - _decay(p.depth_half_life_s) ** 2),
        funding_a=funding_a,
        funding_sd=p.funding_vol_per_s / math.sqrt(1 - funding_a**2),
    )


def _entropy(ident: _Ident, chunk: int, stream: int) -> list[int]:
    seed = ident.seed % 2**64
    return [seed & 0xFFFFFFFF, seed >> 32, zlib.crc32(ident.symbol.encode()),
            zlib.crc32(ident.scenario.name.encode()), chunk % 2**32, stream]


@lru_cache(maxsize=32)
def _powers(a: float, m: int) -> tuple[np.ndarray, np.ndarray]:
    j = np.arange(1, m + 1, dtype=np.float64)
    return np.exp(j * math.log(a)), np.exp(-j * math.log(a))


def _ou(x0: float, a: float, s: float, e: np.ndarray) -> np.ndarray:
    """x[0] = x0, x[i] = a·x[i-1] + s·e[i-1]: an AR(1)/Ornstein-Uhlenbeck path without a Python loop.

    Within a block x[n] = aⁿ·(x0 + s·Σ a⁻ʲ·e[j]); blocks are short enough that a⁻ʲ stays below e⁴⁰.
    """
    n = e.shape[0]
    out = np.empty(n + 1)
    out[0] = x0
    block = min(n, max(1, int(40.0 / -math.log(a))))
    pos, x = 0, x0
    while pos < n:
        m = min(block, n - pos)
        up, down = _powers(a, m)
        xs = up * (x + s * np.cumsum(e[pos:pos + m] * down))
        out[pos + 1:pos + m + 1] = xs
        x, pos = float(xs[-1]), pos + m
    return out


def _walk(x_anchor: float, steps: np.ndarray, forward: bool) -> np.ndarray:
    """Cumulative path over a chunk from its anchor: at its start (forward) or at its end (backward)."""
    total = np.concatenate(([0.0], np.cumsum(steps)))
    return x_anchor + total if forward else x_anchor - (total[-1] - total)


def _ou_chunk(x_anchor: float, a: float, s: float, e: np.ndarray, forward: bool) -> np.ndarray:
    # A stationary Gaussian AR(1) run backwards has the same law, so the warm-up runs it from k = 0 back.
    return _ou(x_anchor, a, s, e) if forward else _ou(x_anchor, a, s, e[::-1])[::-1]


@lru_cache(maxsize=16)
def _modulation(ident: _Ident, chunk: int) -> Modulation:
    k = np.arange(chunk * CHUNK_S, (chunk + 1) * CHUNK_S + 1)
    return ident.scenario.modulation(k, ident.start_ts, _jump_return(ident))


@lru_cache(maxsize=64)
def _jump_return(ident: _Ident) -> float:
    jump = ident.scenario.jump
    if jump is None:
        return 0.0
    sign_u, size_u = np.random.default_rng(_entropy(ident, 0, _STREAM_JUMP)).random(2)
    size = jump.size_min + (jump.size_max - jump.size_min) * float(size_u)
    return size if sign_u < 0.5 else -size


@dataclass(frozen=True)
class _Volume:
    """The public prints of one chunk without their prices: counts and sizes per second."""

    counts: np.ndarray  # prints in second i (index 0 unused, always 0)
    lots: np.ndarray  # size of each print in lots, seconds in order
    qty: np.ndarray
    cum: np.ndarray  # cum[i]: base volume printed in seconds 1..i of the chunk


@lru_cache(maxsize=64)
def _volume(ident: _Ident, chunk: int) -> _Volume:
    p, c = ident.params, _consts(ident.params)
    rate = p.trade_rate_per_s * _modulation(ident, chunk).prints[1:]
    rng = np.random.default_rng(_entropy(ident, chunk, _STREAM_VOLUME))
    counts = np.concatenate(([0], rng.poisson(rate)))
    sizes = rng.lognormal(c.trade_mu, p.trade_size_sigma, int(counts.sum()))
    lots = np.maximum(1, np.rint(sizes / c.step)).astype(np.int64)
    qty = lots * c.step_num / c.step_den
    second = np.repeat(np.arange(CHUNK_S + 1), counts)
    cum = np.cumsum(np.bincount(second, weights=qty, minlength=CHUNK_S + 1))
    for array in (counts, lots, qty, cum):
        array.setflags(write=False)
    return _Volume(counts, lots, qty, cum)


Anchor = tuple[float, float, float, float, float]  # log fair, log OI, funding, spread and depth deviations
# One side of the book at a second: touch tick index, direction away from the touch, depth multiplier,
# the level-noise profiles before and after the second and the weight between them.
_BookSide = tuple[int, int, float, list[float], list[float], float]


@dataclass(frozen=True)
class _Chunk:
    """One hour of the exogenous path. Position ``i`` (0 … CHUNK_S) is second ``k0 + i``; position 0 is
    the boundary shared with the previous chunk (only its fair price and OI are read).

    Python lists where the per-second loops read single items, numpy arrays where only a few are read.
    """

    index: int
    k0: int
    fair: list[float]  # exogenous fair price (before our permanent impact)
    spread: list[int]  # touch spread in ticks
    depth: list[float]  # book-size multiplier
    funding: np.ndarray
    oi: np.ndarray
    knots: tuple[list[list[float]], list[list[float]]]  # bid and ask level-size noise every period
    touch_size: tuple[list[float], list[float]]  # bid and ask touch level size, before our depletion
    first: list[int]  # prints of position i are first[i] … first[i + 1] - 1, in time order
    p_ts: list[float]
    p_qty: list[float]
    p_code: list[int]  # ±1: a buy (+) / sell (-) that fits in the untouched touch level; ±2: larger
    p_lots: list[int]
    cum: np.ndarray  # cumulative volume, as in _Volume
    minute_s1: np.ndarray  # cumulative sums of the minute log returns of the fair price (61 marks)
    minute_s2: np.ndarray  # … and of their squares
    end: Anchor  # values at the last position: the next chunk's anchor


def _knots(ident: _Ident, index: int) -> np.ndarray:
    """Level-size noise of both sides at every ``depth_noise_period_s`` of the chunk: (2, knots, levels).

    Knot g (at second g * period) is drawn by the chunk that starts with it, so the chunk's last knot is
    its successor's first one and the book's sizes move on smoothly from one hour to the next.
    """
    p = ident.params
    per_chunk = CHUNK_S // p.depth_noise_period_s
    mu, sigma = -(p.depth_noise**2) / 2, p.depth_noise

    def draw(chunk: int, count: int) -> np.ndarray:
        rng = np.random.default_rng(_entropy(ident, chunk, _STREAM_KNOTS))
        return rng.lognormal(mu, sigma, (count, 2, p.levels))  # the first knot is the first draws

    knots = np.concatenate((draw(index, per_chunk), draw(index + 1, 1)))
    # one more copy of the last knot: interpolation at the chunk's last second gives it weight 0
    return np.concatenate((knots, knots[-1:])).transpose(1, 0, 2)


def _base_anchor(ident: _Ident) -> Anchor:
    """Values at k = 0: the requested price and open interest, deviations from their stationary laws."""
    p, c = ident.params, _consts(ident.params)
    f, s, d = np.random.default_rng(_entropy(ident, 0, _STREAM_ANCHOR)).standard_normal(3)
    return (math.log(ident.start_price), math.log(p.open_interest_start), float(f) * c.funding_sd,
            float(s) * p.spread_noise, float(d) * p.depth_vol)


@dataclass(frozen=True)
class _Path:
    """The chunk's price path and slow processes, positions 0 … CHUNK_S (what chains the chunks)."""

    z: np.ndarray  # the fair price's standard shocks, seconds 1 … CHUNK_S
    log_fair: np.ndarray
    log_oi: np.ndarray
    funding_dev: np.ndarray
    spread_dev: np.ndarray
    depth_dev: np.ndarray

    @property
    def end(self) -> Anchor:
        """The values at the chunk's last second: the next chunk's anchor."""
        return (float(self.log_fair[-1]), float(self.log_oi[-1]), float(self.funding_dev[-1]),
                float(self.spread_dev[-1]), float(self.depth_dev[-1]))


def _path(ident: _Ident, index: int, anchor: Anchor) -> _Path:
    p, c = ident.params, _consts(ident.params)
    forward = index >= 0  # chunk -1 (the warm-up hour) runs back from k = 0
    mod = _modulation(ident, index)
    rng = np.random.default_rng(_entropy(ident, index, _STREAM_PATH))
    z, e_oi, e_funding, e_spread, e_depth = rng.standard_normal((5, CHUNK_S))
    sigma = c.sigma_s * mod.vol[1:]
    return _Path(
        z=z,
        log_fair=_walk(anchor[0], mod.drift[1:] + sigma * z - sigma**2 / 2, forward),
        log_oi=_walk(anchor[1], mod.oi_drift[1:] + c.oi_sigma_s * e_oi, forward),
        funding_dev=_ou_chunk(anchor[2], c.funding_a, p.funding_vol_per_s, e_funding, forward),
        spread_dev=_ou_chunk(anchor[3], c.spread_a, c.spread_s, e_spread, forward),
        depth_dev=_ou_chunk(anchor[4], c.depth_a, c.depth_s, e_depth, forward),
    )


@lru_cache(maxsize=8)
def _chunk(ident: _Ident, index: int, anchor: Anchor) -> _Chunk:
    """The chunk's book, prints and statistics, on its path."""
    p, c = ident.params, _consts(ident.params)
    n, period = CHUNK_S, p.depth_noise_period_s
    mod = _modulation(ident, index)
    path = _path(ident, index, anchor)
    z, log_fair = path.z, path.log_fair
    knots = _knots(ident, index)

    fair = np.exp(log_fair)
    ticks_per_bps = fair * (1e-4 / c.tick)
    raw_spread = (p.spread_ticks_median * mod.spread + mod.spread_bps * ticks_per_bps) * np.exp(path.spread_dev)
    widest = np.maximum(np.floor(p.spread_max_bps * ticks_per_bps), p.spread_ticks_min)
    spread = np.clip(np.rint(raw_spread), p.spread_ticks_min, widest).astype(np.int64)
    depth = mod.depth * np.exp(path.depth_dev - p.depth_vol**2 / 2)
    peak = ident.scenario.funding.peak if ident.scenario.funding is not None else p.funding_mean
    funding = np.clip(p.funding_mean + (peak - p.funding_mean) * mod.funding_shift + path.funding_dev,
                      -p.funding_limit, p.funding_limit)

    vol = _volume(ident, index)
    prints_rng = np.random.default_rng(_entropy(ident, index, _STREAM_PRINTS))
    u_time, u_side = prints_rng.random((2, vol.qty.shape[0]))
    pos = np.repeat(np.arange(n + 1), vol.counts)
    # Aggressors lean with the second's price move; sorting pos + u orders the prints within each second.
    buy = u_side < 0.5 + p.flow_momentum * np.tanh(z[pos - 1])
    offset = np.maximum(np.sort(pos + u_time, kind="stable") - pos, 0.001)
    ts = np.round(ident.start_ts + (index * n + pos - 1) + offset, 3)
    # Whether each print fits in the touch level it hits when we have depleted nothing there: the same
    # arithmetic, in the same order, as SimMarket._lots.
    bucket, into = np.divmod(np.arange(n + 1), period)
    weight = into / period
    noise = knots[:, bucket, 0] * (1 - weight) + knots[:, bucket + 1, 0] * weight
    touch_size = np.maximum(c.profile[0] * depth * noise, c.step)  # bids, asks
    fits = vol.lots <= np.floor(touch_size / c.step + _LOT_EPS)[buy.astype(np.intp), pos]
    code = np.where(buy, 1, -1) * np.where(fits, 1, 2)

    minute = np.diff(log_fair[::60])
    s1 = np.concatenate(([0.0], np.cumsum(minute)))
    s2 = np.concatenate(([0.0], np.cumsum(minute * minute)))
    return _Chunk(
        index=index,
        k0=index * n,
        fair=fair.tolist(),
        spread=spread.tolist(),
        depth=depth.tolist(),
        funding=funding,
        oi=np.exp(path.log_oi),
        knots=(knots[0].tolist(), knots[1].tolist()),
        touch_size=(touch_size[0].tolist(), touch_size[1].tolist()),
        first=np.concatenate(([0], np.cumsum(vol.counts))).tolist(),
        p_ts=ts.tolist(),
        p_qty=vol.qty.tolist(),
        p_code=code.tolist(),
        p_lots=vol.lots.tolist(),
        cum=vol.cum,
        minute_s1=s1,
        minute_s2=s2,
        end=path.end,
    )


# ---------------------------------------------------------------------- parameters and validation


def _resolve_params(symbol: str, params: SimParams | None) -> SimParams:
    if params is None:
        params = SIM_PRESETS[symbol][1] if symbol in SIM_PRESETS else SimParams()
    if not isinstance(params, SimParams):
        raise ValueError(f"params must be SimParams, got {params!r}")
    if params.tick_size is not None and params.qty_step is not None:
        return params
    instrument = SIM_INSTRUMENTS.get(symbol)
    if instrument is None:
        raise ValueError(f"unknown simulated symbol {symbol!r}: pass tick_size and qty_step in SimParams")
    return replace(
        params,
        tick_size=params.tick_size or float(instrument.tick_size),
        qty_step=params.qty_step or float(instrument.qty_step),
    )


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------- the market


class SimMarket:
    """One symbol's simulated market at whole second ``k`` after the scenario start.

    Build it with :meth:`create` (or :meth:`from_state`); move it with :meth:`advance_to`; trade against
    it with :meth:`take`. Our depletion is kept per level counted from the touch, so it travels with
    the price (as a queue of missing liquidity just behind the best price, not at fixed prices).
    """

    def __init__(
        self,
        ident: _Ident,
        *,
        warmup: int,
        k: int,
        anchors: dict[int, Anchor],
        impact_log: float,
        displacement: tuple[float, int],
        depletion: dict[Side, tuple[int, list[float]]],
        last_trades: list[Trade],
    ) -> None:
        self._ident = ident
        self._c = _consts(ident.params)
        self._base = _base_anchor(ident)
        self.warmup = warmup
        self.k = k
        self._anchors = dict(anchors)
        self._chunks: dict[int, _Chunk] = {}
        self._volumes: dict[int, np.ndarray] = {}
        self._retired_at = -2
        self._ladders: dict[tuple[Side, int], list[Level]] = {}  # the book now, until it moves
        self.impact_log = impact_log
        self._impact = math.exp(impact_log)
        self._disp, self._disp_k = displacement
        self._depl: dict[Side, list[float]] = {}
        self._depl_k: dict[Side, int] = {}
        self._clear_k = {Side.BUY: -(2**62), Side.SELL: -(2**62)}  # from then on, nothing of ours is left
        for book_side, (since, levels) in depletion.items():
            self._set_depletion(book_side, since, levels)
        self._last_trades = list(last_trades)

    # ------------------------------------------------------------------ construction and state

    @classmethod
    def create(
        cls,
        symbol: str,
        *,
        seed: int,
        start_ts: float,
        start_price: float | None = None,
        warmup_seconds: int = 3600,
        params: SimParams | None = None,
        scenario: str | Scenario = "calm",
    ) -> SimMarket:
        """A market whose clock reads ``start_ts`` (the scenario start) and whose fair price is
        ``start_price`` then (default: the symbol's preset), with ``warmup_seconds`` of history behind
        it (the rolling statistics look back an hour at most). ``params`` default to the symbol's preset.
        """
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        start_ts = _finite("start_ts", start_ts)
        if isinstance(warmup_seconds, bool) or not isinstance(warmup_seconds, int) or warmup_seconds < 0:
            raise ValueError(f"warmup_seconds must be a non-negative whole number, got {warmup_seconds!r}")
        params = _resolve_params(symbol, params)
        if start_price is None:
            if symbol not in SIM_PRESETS:
                raise ValueError(f"start_price is required for {symbol!r}, which has no preset")
            start_price = SIM_PRESETS[symbol][0]
        start_price = _finite("start_price", start_price)
        if start_price <= 0:
            raise ValueError(f"start_price must be positive, got {start_price!r}")
        ident = _Ident(seed, symbol, scenario_named(scenario), params, start_ts, start_price)
        market = cls(ident, warmup=warmup_seconds, k=0, anchors={}, impact_log=0.0, displacement=(0.0, 0),
                     depletion={}, last_trades=[])
        market._last_trades = market._tail_prints(-warmup_seconds, 0, _LAST_TRADES)
        return market

    def to_state(self) -> dict[str, Any]:
        ident = self._ident
        return {
            "v": STATE_VERSION,
            "symbol": ident.symbol,
            "seed": ident.seed,
            "scenario": ident.scenario.to_dict(),
            "params": asdict(ident.params),
            "start_ts": ident.start_ts,
            "start_price": ident.start_price,
            "warmup": self.warmup,
            "k": self.k,
            "anchors": [[index, *anchor] for index, anchor in sorted(self._anchors.items())],
            "impact_log": self.impact_log,
            "displacement": [self._disp, self._disp_k],
            "depletion": {side.value: [self._depl_k[side], list(levels)]
                          for side, levels in self._depl.items()},
            "last_trades": [[t.ts, t.price, t.qty, t.side] for t in self._last_trades],
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> SimMarket:
        if d.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported SimMarket state version {d.get('v')!r}: this build reads version "
                             f"{STATE_VERSION} only")
        ident = _Ident(int(d["seed"]), d["symbol"], Scenario.from_dict(d["scenario"]),
                       SimParams(**d["params"]), float(d["start_ts"]), float(d["start_price"]))
        return cls(
            ident,
            warmup=int(d["warmup"]),
            k=int(d["k"]),
            anchors={int(a[0]): (float(a[1]), float(a[2]), float(a[3]), float(a[4]), float(a[5]))
                     for a in d["anchors"]},
            impact_log=float(d["impact_log"]),
            displacement=(float(d["displacement"][0]), int(d["displacement"][1])),
            depletion={Side(side): (int(since), [float(x) for x in levels])
                       for side, (since, levels) in d["depletion"].items()},
            last_trades=[Trade(float(ts), float(px), float(q), str(s)) for ts, px, q, s in d["last_trades"]],
        )

    # ------------------------------------------------------------------ reading

    @property
    def symbol(self) -> str:
        return self._ident.symbol

    @property
    def seed(self) -> int:
        return self._ident.seed

    @property
    def scenario(self) -> Scenario:
        return self._ident.scenario

    @property
    def params(self) -> SimParams:
        return self._ident.params

    @property
    def start_ts(self) -> float:
        """The scenario start (the end of the warm-up)."""
        return self._ident.start_ts

    @property
    def ts(self) -> float:
        return self._ident.start_ts + self.k

    @property
    def tick(self) -> float:
        return self._c.tick

    @property
    def qty_step(self) -> float:
        return self._c.step

    @property
    def fair(self) -> float:
        """The fair price: the exogenous path times our permanent impact (no transient displacement)."""
        chunk, pos = self._locate(self.k)
        return chunk.fair[pos] * self._impact

    @property
    def mid(self) -> float:
        """Mid of the visible touch, so temporary impact (displacement, depleted levels) shows in it."""
        return (self.best_bid + self.best_ask) / 2

    @property
    def best_bid(self) -> float:
        return self._ladder(Side.BUY, 5)[0].price

    @property
    def best_ask(self) -> float:
        return self._ladder(Side.SELL, 5)[0].price

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        """Bid and ask ladders, best first; levels emptied by our trades are skipped, deeper ones shown."""
        return list(self._ladder(Side.BUY, levels)), list(self._ladder(Side.SELL, levels))

    def depletion(self, book_side: Side) -> tuple[float, ...]:
        """Outstanding depleted quantity per level (``Side.BUY`` = bids), index 0 at the touch."""
        return tuple(self._depleted(book_side, self.k) or [0.0] * self.params.levels)

    def snapshot(self) -> MarketSnapshot:
        c, k, oldest = self._c, self.k, -self.warmup
        bids, asks = self._ladder(Side.BUY, 5), self._ladder(Side.SELL, 5)
        chunk, pos = self._locate(k)
        ref = max(k - CHUNK_S, oldest)
        ref_chunk, ref_pos = self._locate(ref)
        return MarketSnapshot(
            symbol=self._ident.symbol,
            ts=self._ident.start_ts + k,
            mid=round((bids[0].price + asks[0].price) / 2, c.price_digits + 1),
            best_bid=bids[0].price,
            best_ask=asks[0].price,
            bids=tuple(bids),
            asks=tuple(asks),
            last_trades=tuple(self._last_trades),
            volume_1m=round(self._volume_between(max(k - 60, oldest), k), c.qty_digits),
            volume_1h=round(self._volume_between(ref, k), c.qty_digits),
            volatility_1h=self._volatility_1h(),
            funding_rate=float(chunk.funding[pos]),
            oi_change_1h=float(chunk.oi[pos] / ref_chunk.oi[ref_pos]) - 1,
            source="sim",
            extra={"fair_price": chunk.fair[pos] * self._impact, "spread_ticks": chunk.spread[pos],
                   "scenario": self._ident.scenario.name},
        )

    def hourly_volumes(self, hours: int = 24) -> list[tuple[float, float]]:
        """``(hour_start_ts, base volume)`` of the public prints for each whole UTC hour before now, oldest
        first: the market's own history, as Bybit's 1-h klines give it (and, like klines, reaching back
        beyond the warm-up). Shaped for ``VolumeCurve.from_hourly_volumes``."""
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            raise ValueError(f"hours must be a positive whole number, got {hours!r}")
        start_ts, end = self._ident.start_ts, math.floor(self.ts / 3600) * 3600.0
        out = []
        for back in range(hours, 0, -1):
            hour = end - back * 3600.0
            # Second k (from ts k-1 to k) belongs to the hour in which it starts.
            first = math.ceil(hour - start_ts + 1)
            last = math.ceil(hour + 3600.0 - start_ts + 1) - 1
            out.append((hour, round(self._volume_between(first - 1, last), self._c.qty_digits)))
        return out

    # ------------------------------------------------------------------ moving

    def advance_to(self, ts: float) -> list[Trade]:
        """Move to the whole second at or before ``ts`` and return the public prints on the way (of a long
        gap only those of its last ``max_steps_per_call`` seconds; the market itself ends up the same as
        if it had been stepped through second by second)."""
        target = math.floor(_finite("ts", ts) - self._ident.start_ts + 1e-9)
        if target <= self.k:
            return []
        first = max(self.k + 1, target - self._ident.params.max_steps_per_call + 1)
        trades: list[Trade] = []
        self._collect(first, target, trades)
        recent = trades
        if len(trades) < _LAST_TRADES and first > self.k + 1:
            recent = self._tail_prints(self.k, first - 1, _LAST_TRADES - len(trades)) + trades
        self._last_trades = (self._last_trades + recent)[-_LAST_TRADES:]
        self.k = target
        self._ladders.clear()
        self._retire()
        return trades

    def take(
        self, side: Side, qty: float, *, limit_price: float | None = None, impact: bool = True
    ) -> list[tuple[float, float]]:
        """Our marketable order walks the opposite ladder from the touch (at most ``levels`` deep) and
        depletes it.

        ``limit_price`` stops the walk at that price. With ``impact`` the fair price moves
        permanently and the centre is displaced transiently; the paper venue passes ``impact=False``
        for maker fills of resting orders that the market walked through.
        """
        c, k = self._c, self.k
        book_side = Side.SELL if side is Side.BUY else Side.BUY
        depleted = self._depleted(book_side, k) or [0.0] * self.params.levels
        book = self._book_side(book_side, k)
        lots = max(0, math.floor(qty / c.step + _LOT_EPS))
        fills: list[tuple[float, float]] = []
        filled = 0
        for i in range(self.params.levels):
            if lots <= 0:
                break
            price = self._price(book, i)
            if limit_price is not None and (price - limit_price) * side.sign > c.tick / 2:
                break
            taken = min(lots, self._lots(book, i, depleted))
            if taken <= 0:
                continue
            lots -= taken
            filled += taken
            depleted[i] += taken * c.step
            fills.append((price, taken * c.step_num / c.step_den))
        if fills:
            self._set_depletion(book_side, k, depleted)
            self._ladders.clear()
        if impact and filled:
            signed = side.sign * filled * c.step
            p = self.params
            self._disp = self._displacement(k) + p.temporary_impact_per_unit * signed * self.fair
            self._disp_k = k
            self.impact_log += p.permanent_impact_per_unit * signed
            self._impact = math.exp(self.impact_log)
        return fills

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """A resting order of ours was filled: the fair price moves by our permanent impact, as it does for
        an aggressive fill (informed flow moves prices whichever side of the spread it trades on), but
        there is no transient displacement because we took no liquidity."""
        if qty <= 0:
            return
        self.impact_log += self.params.permanent_impact_per_unit * side.sign * qty
        self._impact = math.exp(self.impact_log)
        self._ladders.clear()

    # ------------------------------------------------------------------ internals: the path

    def _chunk_at(self, index: int) -> _Chunk:
        chunk = self._chunks.get(index)
        if chunk is None:
            chunk = self._chunks[index] = _chunk(self._ident, index, self._anchor(index))
        return chunk

    def _anchor(self, index: int) -> Anchor:
        if index <= 0:
            if index < -1:
                raise AssertionError(f"chunk {index} lies beyond the warm-up hour the market reads")
            return self._base
        if index not in self._anchors:
            known = max((i for i in self._anchors if i < index), default=0)
            for i in range(known + 1, index + 1):  # after a long gap, chain through the hours in between
                held = self._chunks.get(i - 1)
                self._anchors[i] = held.end if held else _path(self._ident, i - 1, self._anchor(i - 1)).end
        return self._anchors[index]

    def _retire(self) -> None:
        """Keep the chunks (and anchors) of the current and the previous hour only."""
        current = (self.k - 1) // CHUNK_S
        if current == self._retired_at:
            return
        self._retired_at = current
        for held in (self._chunks, self._anchors, self._volumes):
            for index in [i for i in held if i < current - 1]:
                del held[index]

    def _locate(self, k: int) -> tuple[_Chunk, int]:
        """The chunk holding second ``k`` and its position there (the warm-up hour's boundary for -3600)."""
        index = (k - 1) // CHUNK_S
        if index < -1:
            index = -1
        chunk = self._chunks.get(index) or self._chunk_at(index)
        return chunk, k - index * CHUNK_S

    def _cum_volume(self, index: int) -> np.ndarray:
        cum = self._volumes.get(index)
        if cum is None:
            chunk = self._chunks.get(index)
            cum = self._volumes[index] = chunk.cum if chunk is not None else _volume(self._ident, index).cum
        return cum

    def _volume_between(self, a: int, b: int) -> float:
        """Public volume printed in seconds a+1 … b."""
        if b <= a:
            return 0.0
        total = 0.0
        index = a // CHUNK_S
        while index * CHUNK_S < b:
            cum = self._cum_volume(index)
            lo = a - index * CHUNK_S
            hi = b - index * CHUNK_S
            total += float(cum[hi if hi < CHUNK_S else CHUNK_S] - cum[lo if lo > 0 else 0])
            index += 1
        return total

    def _volatility_1h(self) -> float:
        """Std-dev of the minute log returns of the fair price over the last hour, scaled to 1 h."""
        hi = self.k // 60
        lo = max(hi - 60, -(self.warmup // 60))
        n = hi - lo
        if n < 2:
            return 0.0
        s1 = s2 = 0.0
        for index in range(lo // 60, (hi - 1) // 60 + 1):
            chunk = self._chunks.get(index) or self._chunk_at(index)
            a, b = max(lo - index * 60, 0), min(hi - index * 60, 60)
            s1 += float(chunk.minute_s1[b] - chunk.minute_s1[a])
            s2 += float(chunk.minute_s2[b] - chunk.minute_s2[a])
        variance = (s2 - s1 * s1 / n) / (n - 1)
        return math.sqrt(max(variance, 0.0) * 60)

    # ------------------------------------------------------------------ internals: our footprint

    def _displacement(self, k: int) -> float:
        return self._disp * self._c.displacement_decay ** (k - self._disp_k) if self._disp else 0.0

    def _set_depletion(self, book_side: Side, since: int, levels: list[float]) -> None:
        levels = [x if x >= _DEPLETION_FLOOR else 0.0 for x in levels]
        if not any(levels):
            self._depl.pop(book_side, None)
            self._depl_k.pop(book_side, None)
            self._clear_k[book_side] = -(2**62)
            return
        self._depl[book_side], self._depl_k[book_side] = levels, since
        # The first second at which every level has refilled (decayed below the floor).
        top, r = max(levels), self._c.resilience
        clear = since + max(0, math.floor(math.log(_DEPLETION_FLOOR / top) / math.log(r)))
        while top * r ** (clear - since) >= _DEPLETION_FLOOR:
            clear += 1
        self._clear_k[book_side] = clear

    def _touch_depletion(self, book_side: Side) -> tuple[float, int]:
        """What we left depleted at the touch level and since when (decay it to the second wanted)."""
        levels = self._depl.get(book_side)
        return (levels[0], self._depl_k[book_side]) if levels else (0.0, 0)

    def _depleted(self, book_side: Side, k: int) -> list[float] | None:
        """Outstanding depletion per level at second ``k`` (None: nothing of ours outstanding)."""
        if k >= self._clear_k[book_side]:
            return None
        factor = self._c.resilience ** (k - self._depl_k[book_side])
        return [x * factor if x * factor >= _DEPLETION_FLOOR else 0.0 for x in self._depl[book_side]]

    # ------------------------------------------------------------------ internals: the book

    def _book_side(self, book_side: Side, k: int) -> _BookSide:
        """What prices and sizes one side of the book at second ``k`` from: (touch tick index, direction
        away from the touch, depth multiplier, level-noise profiles around ``k`` and the weight between)."""
        chunk, pos = self._locate(k)
        centre = (chunk.fair[pos] * self._impact + self._displacement(k)) / self._c.tick
        spread = chunk.spread[pos]
        bid = math.floor(centre - spread / 2 + 0.5)
        bucket, into = divmod(pos, self.params.depth_noise_period_s)
        knots = chunk.knots[0 if book_side is Side.BUY else 1]
        weight = into / self.params.depth_noise_period_s
        if book_side is Side.BUY:
            return bid, -1, chunk.depth[pos], knots[bucket], knots[bucket + 1], weight
        return bid + spread, 1, chunk.depth[pos], knots[bucket], knots[bucket + 1], weight

    def _price(self, book: _BookSide, i: int) -> float:
        return (book[0] + book[1] * i) * self._c.tick_num / self._c.tick_den

    def _lots(
        self, book: _BookSide, i: int, depleted: list[float] | None
    ) -> int:
        """Lots available at level ``i``; beyond ``levels`` lies the book's backstop, never depleted."""
        c = self._c
        _, _, depth, before, after, weight = book
        n = len(c.profile)
        j = i % n
        base = c.profile[i if i < n else n - 1] * depth * (before[j] * (1 - weight) + after[j] * weight)
        if base < c.step:
            base = c.step
        if depleted is not None and i < n:
            base -= depleted[i]
        return math.floor(base / c.step + _LOT_EPS)

    def _ladder(self, book_side: Side, n: int) -> list[Level]:
        """The first ``n`` non-empty levels, cached until the book moves (``_lots`` and ``_price`` inlined:
        snapshots are frequent)."""
        cached = self._ladders.get((book_side, n))
        if cached is not None:
            return cached
        c, k = self._c, self.k
        touch, direction, depth, before, after, weight = self._book_side(book_side, k)
        depleted = self._depleted(book_side, k)
        profile, step, step_num, step_den = c.profile, c.step, c.step_num, c.step_den
        tick_num, tick_den = c.tick_num, c.tick_den
        levels = len(profile)
        floor = math.floor
        ladder: list[Level] = []
        i = 0
        while len(ladder) < n:
            if i < levels:
                base = profile[i] * depth * (before[i] * (1 - weight) + after[i] * weight)
            else:
                j = i % levels
                base = profile[-1] * depth * (before[j] * (1 - weight) + after[j] * weight)
            if base < step:
                base = step
            if depleted is not None and i < levels:
                base -= depleted[i]
            lots = floor(base / step + _LOT_EPS)
            if lots > 0:
                price = (touch + direction * i) * tick_num / tick_den
                ladder.append(Level(price, lots * step_num / step_den))
            i += 1
        self._ladders[(book_side, n)] = ladder
        return ladder

    # ------------------------------------------------------------------ internals: public prints

    def _collect(self, a: int, b: int, out: list[Trade]) -> None:
        """Append the public prints of seconds a … b."""
        index = (a - 1) // CHUNK_S
        while index * CHUNK_S < b:
            chunk = self._chunk_at(index)
            lo, hi = max(a - chunk.k0, 1), min(b - chunk.k0, CHUNK_S)
            if lo <= hi:
                self._prints(chunk, lo, hi, out)
            index += 1

    def _tail_prints(self, a: int, b: int, n: int) -> list[Trade]:
        """The last ``n`` public prints of seconds a+1 … b (an hour back at most)."""
        found: list[Trade] = []
        a = max(a, -CHUNK_S)
        hi = b
        while hi > a and len(found) < n:
            lo = max(a, hi - 300)
            window: list[Trade] = []
            self._collect(lo + 1, hi, window)
            found = window + found
            hi = lo
        return found[-n:] if n else []

    def _prints(self, chunk: _Chunk, lo: int, hi: int, out: list[Trade]) -> None:
        """The prints of positions lo … hi of a chunk, priced on the book of their second.

        The hot loop of the simulator: a print that fits in a touch level where nothing of ours is
        outstanding (the common case, decided when the chunk was made) is priced at the touch here;
        anything else walks the book in ``_walk_print``.
        """
        first, fair, spread = chunk.first, chunk.fair, chunk.spread
        p_ts, p_qty, p_code, p_lots = chunk.p_ts, chunk.p_qty, chunk.p_code, chunk.p_lots
        c = self._c
        tick, tick_num, tick_den, impact, k0 = c.tick, c.tick_num, c.tick_den, self._impact, chunk.k0
        disp, disp_k, decay = self._disp, self._disp_k, c.displacement_decay
        clear_bid, clear_ask = self._clear_k[Side.BUY], self._clear_k[Side.SELL]
        # our outstanding depletion of the touch level, as in _lots: what we left there and since when
        step, resilience = c.step, c.resilience
        touch_bid, touch_ask = chunk.touch_size
        bid_left, bid_since = self._touch_depletion(Side.BUY)
        ask_left, ask_since = self._touch_depletion(Side.SELL)
        append = out.append
        floor = math.floor
        for pos in range(lo, hi + 1):
            j0, j1 = first[pos], first[pos + 1]
            if j0 == j1:
                continue
            k = k0 + pos
            # as in _book_side
            centre = (fair[pos] * impact + (disp * decay ** (k - disp_k) if disp else 0.0)) / tick
            width = spread[pos]
            bid = floor(centre - width / 2 + 0.5)
            bid_px = ask_px = 0.0
            bid_room = ask_room = -1  # lots at the touch where our depletion is outstanding, once known
            for j in range(j0, j1):
                code = p_code[j]
                if code > 0:
                    if k >= clear_ask:
                        if code == 1:
                            if not ask_px:
                                ask_px = (bid + width) * tick_num / tick_den
                            append(Trade(p_ts[j], ask_px, p_qty[j], "buy"))
                            continue
                    else:
                        if ask_room < 0:
                            left = ask_left * resilience ** (k - ask_since)
                            base = touch_ask[pos] - (left if left >= _DEPLETION_FLOOR else 0.0)
                            ask_room = floor(base / step + _LOT_EPS)
                            if ask_room > 0:
                                ask_px = (bid + width) * tick_num / tick_den
                            else:
                                ask_px, ask_room = self._first_level(Side.SELL, k)
                        if p_lots[j] <= ask_room:
                            append(Trade(p_ts[j], ask_px, p_qty[j], "buy"))
                            continue
                    self._walk_print(Side.SELL, k, p_lots[j], p_ts[j], "buy", out)
                else:
                    if k >= clear_bid:
                        if code == -1:
                            if not bid_px:
                                bid_px = bid * tick_num / tick_den
                            append(Trade(p_ts[j], bid_px, p_qty[j], "sell"))
                            continue
                    else:
                        if bid_room < 0:
                            left = bid_left * resilience ** (k - bid_since)
                            base = touch_bid[pos] - (left if left >= _DEPLETION_FLOOR else 0.0)
                            bid_room = floor(base / step + _LOT_EPS)
                            if bid_room > 0:
                                bid_px = bid * tick_num / tick_den
                            else:
                                bid_px, bid_room = self._first_level(Side.BUY, k)
                        if p_lots[j] <= bid_room:
                            append(Trade(p_ts[j], bid_px, p_qty[j], "sell"))
                            continue
                    self._walk_print(Side.BUY, k, p_lots[j], p_ts[j], "sell", out)

    def _first_level(self, book_side: Side, k: int) -> tuple[float, int]:
        """Price and lots of the first level we have not emptied (the touch level is all ours)."""
        book = self._book_side(book_side, k)
        depleted = self._depleted(book_side, k)
        i = 0
        while (lots := self._lots(book, i, depleted)) <= 0:
            i += 1
        return self._price(book, i), lots

    def _walk_print(self, book_side: Side, k: int, lots: int, ts: float, side: str, out: list[Trade]) -> None:
        """A print larger than the touch level (or meeting our depletion) walks the book level by level."""
        c = self._c
        book = self._book_side(book_side, k)
        depleted = self._depleted(book_side, k)
        i = 0
        while lots > 0:
            available = self._lots(book, i, depleted)
            if available > 0:
                taken = min(lots, available)
                out.append(Trade(ts, self._price(book, i), taken * c.step_num / c.step_den, side))
                lots -= taken
            i += 1
