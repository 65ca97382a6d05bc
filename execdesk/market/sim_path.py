"""The exogenous path of the simulated market: what the rest of the market does, generated with numpy an
hour of seconds ("chunk") at a time.

Each chunk comes from ``numpy.random.default_rng`` seeded with stable integers derived from (seed, symbol,
scenario name, chunk index, stream) — crc32 for strings, never ``hash()``. Per second it holds the
fair-price log return, the touch spread in ticks, a book-depth multiplier, the public prints (count,
sizes, aggressor sides, times), funding and open interest. Seconds are counted from the *scenario start*
(the end of the warm-up, ``k = 0``), where the fair price equals the requested start price; later chunks
continue from the values at the end of the previous one (their *anchor*), the warm-up chunk runs
backwards from ``k = 0``. Any second is therefore reproducible, the state never stores RNG state, and a
market restored from its anchors regenerates its chunks and continues exactly like the original.

A chunk also carries cumulative sums (public volume, minute log returns of the fair price and their
squares), so rolling statistics cost O(1) per snapshot, and decides once, for every print, whether it
fits in the touch level it hits (the common case ``execdesk.market.sim_book`` prices without walking the
book). :class:`ChunkCache` holds the chunks one market reads.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import numpy as np

from execdesk.market.regimes import Modulation, Scenario
from execdesk.market.sim_params import CHUNK_S, SimParams

_LOT_EPS = 1e-9  # float slack when converting a quantity to whole lots

# Independent random streams of one chunk: volumes can be generated without the price path.
_STREAM_PATH, _STREAM_VOLUME, _STREAM_PRINTS, _STREAM_ANCHOR, _STREAM_JUMP, _STREAM_KNOTS = 1, 2, 3, 4, 5, 6


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
    latent_decay: float  # per-second factor of our impact volume E
    latent_kappa: float  # displacement (fraction of the fair price) per sqrt(base unit) of E
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
        latent_decay=_decay(p.impact_half_life_s),
        latent_kappa=latent_kappa(p),
        trade_mu=math.log(p.trade_size_mean) - p.trade_size_sigma**2 / 2,
        profile=tuple(p.touch_qty * (1 + p.depth_growth * i) for i in range(p.levels)),
        spread_a=_decay(p.spread_half_life_s),
        depth_a=_decay(p.depth_half_life_s),
        spread_s=p.spread_noise * math.sqrt(1 - _decay(p.spread_half_life_s) ** 2),
        depth_s=p.depth_vol * math.sqrt(1 - _decay(p.depth_half_life_s) ** 2),
        funding_a=funding_a,
        funding_sd=p.funding_vol_per_s / math.sqrt(1 - funding_a**2),
    )


def latent_kappa(p: SimParams) -> float:
    """The square-root law's ``Y sigma_daily / sqrt(ADV)``: the transient displacement (a fraction of the
    price) of an impact volume of one base unit, from the market's own volatility and expected volume."""
    sigma_daily = p.vol_per_hour * math.sqrt(24.0)
    adv = p.trade_rate_per_s * p.trade_size_mean * 86_400.0
    return p.impact_y * sigma_daily / math.sqrt(adv)


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


@dataclass(frozen=True)
class _Chunk:
    """One hour of the exogenous path. Position ``i`` (0 … CHUNK_S) is second ``k0 + i``; position 0 is
    the boundary shared with the previous chunk (only its fair price and OI are read).

    Python lists where the per-second loops read single items, numpy arrays where only a few are read.
    """

    index: int
    k0: int
    fair: list[float]  # exogenous fair price (before our permanent impact)
    impact_scale: list[float]  # the regime's vol / sqrt(print rate): scales the latent book's displacement
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
    # arithmetic, in the same order, as SimBook._lots.
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
        impact_scale=(mod.vol / np.sqrt(mod.prints)).tolist(),
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


class ChunkCache:
    """The chunks of one market's path: made on demand, chained by their anchors, and only those of the
    current and the previous hour kept (markets on the same path share the chunks already generated
    through this module's caches). The anchors are what the market's state saves of its path."""

    def __init__(self, ident: _Ident, anchors: dict[int, Anchor]) -> None:
        self.ident = ident
        self.anchors = dict(anchors)  # chunk index -> the values at its start, for the chunks after k = 0
        self._base = _base_anchor(ident)
        self._chunks: dict[int, _Chunk] = {}
        self._volumes: dict[int, np.ndarray] = {}
        self._retired_at = -2

    def chunk_at(self, index: int) -> _Chunk:
        chunk = self._chunks.get(index)
        if chunk is None:
            chunk = self._chunks[index] = _chunk(self.ident, index, self._anchor(index))
        return chunk

    def _anchor(self, index: int) -> Anchor:
        if index <= 0:
            if index < -1:
                raise AssertionError(f"chunk {index} lies beyond the warm-up hour the market reads")
            return self._base
        if index not in self.anchors:
            known = max((i for i in self.anchors if i < index), default=0)
            for i in range(known + 1, index + 1):  # after a long gap, chain through the hours in between
                held = self._chunks.get(i - 1)
                self.anchors[i] = held.end if held else _path(self.ident, i - 1, self._anchor(i - 1)).end
        return self.anchors[index]

    def retire(self, k: int) -> None:
        """Keep the chunks (and anchors) of the hour of second ``k`` and the previous hour only."""
        current = (k - 1) // CHUNK_S
        if current == self._retired_at:
            return
        self._retired_at = current
        for held in (self._chunks, self.anchors, self._volumes):
            for index in [i for i in held if i < current - 1]:
                del held[index]

    def locate(self, k: int) -> tuple[_Chunk, int]:
        """The chunk holding second ``k`` and its position there (the warm-up hour's boundary for -3600)."""
        index = (k - 1) // CHUNK_S
        if index < -1:
            index = -1
        chunk = self._chunks.get(index) or self.chunk_at(index)
        return chunk, k - index * CHUNK_S

    def _cum_volume(self, index: int) -> np.ndarray:
        cum = self._volumes.get(index)
        if cum is None:
            chunk = self._chunks.get(index)
            cum = self._volumes[index] = chunk.cum if chunk is not None else _volume(self.ident, index).cum
        return cum

    def volume_between(self, a: int, b: int) -> float:
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

    def volatility_1h(self, k: int, warmup: int) -> float:
        """Std-dev of the minute log returns of the fair price over the hour before second ``k`` (no further
        back than the ``warmup`` seconds before k = 0), scaled to 1 h."""
        hi = k // 60
        lo = max(hi - 60, -(warmup // 60))
        n = hi - lo
        if n < 2:
            return 0.0
        s1 = s2 = 0.0
        for index in range(lo // 60, (hi - 1) // 60 + 1):
            chunk = self._chunks.get(index) or self.chunk_at(index)
            a, b = max(lo - index * 60, 0), min(hi - index * 60, 60)
            s1 += float(chunk.minute_s1[b] - chunk.minute_s1[a])
            s2 += float(chunk.minute_s2[b] - chunk.minute_s2[a])
        variance = (s2 - s1 * s1 / n) / (n - 1)
        return math.sqrt(max(variance, 0.0) * 60)
