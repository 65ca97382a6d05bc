"""A seeded, self-moving market for one symbol: price process, 50-level book, public prints.

Everything random in step ``k`` comes from ``random.Random(f"{seed}:{symbol}:{k}")`` where ``k`` is
the number of whole seconds since the market's origin, so the state never carries RNG state and a
market restored from ``to_state()`` continues exactly like the original. Floats are used throughout;
prices sit on the instrument's tick grid and quantities on its step grid (integer "lots" inside).
"""

from __future__ import annotations

import math
import random
import statistics
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any

from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side

STATE_VERSION = 1
_LOT_EPS = 1e-9  # float slack when converting a quantity to whole lots


@dataclass(frozen=True)
class SimParams:
    """Defaults model Bybit BTCUSDT linear: a deep, 0.1-tick book, ~1 % hourly volatility."""

    tick_size: float | None = None  # None: taken from the instrument
    qty_step: float | None = None
    levels: int = 50
    vol_per_hour: float = 0.01  # std-dev of the 1-h log return of the fair price
    spread_ticks_min: int = 1
    spread_ticks_max: int = 4
    spread_change_prob: float = 0.05  # per second, the spread moves one tick up or down
    touch_qty: float = 1.5  # mean base quantity at the touch
    depth_growth: float = 0.05  # each level deeper holds 5 % more than the touch
    depth_noise: float = 0.35  # log-normal sigma of level sizes
    depth_noise_period_s: int = 60  # level sizes drift from one random profile to the next over this
    trade_rate_per_s: float = 3.0  # Poisson arrival of public prints
    trade_size_mean: float = 0.05
    trade_size_sigma: float = 1.0  # log-normal sigma of print sizes
    flow_momentum: float = 0.1  # how much aggressor side leans with the second's price move
    resilience_half_life_s: float = 5.0  # depleted levels refill with this half-life
    permanent_impact_per_unit: float = 2.5e-4  # fair price moves 2.5 bps per unit of our signed qty
    temporary_impact_per_unit: float = 1.0e-4  # extra transient displacement per unit of our qty
    displacement_half_life_s: float = 30.0  # the transient displacement reverts with this half-life
    funding_mean: float = 0.0001  # per 8 h
    funding_reversion_per_s: float = 1 / 3600
    funding_vol_per_s: float = 1.2e-6  # stationary std-dev ~0.005 % around the mean
    funding_limit: float = 0.00375
    open_interest_start: float = 50_000.0
    open_interest_vol_per_hour: float = 0.01
    max_steps_per_call: int = 900


# Start price and microstructure per simulated symbol, sized like Bybit's linear contracts: ETH trades
# in larger units at a twentieth of BTC's price, so its prints are bigger and each unit moves it less.
SIM_PRESETS: dict[str, tuple[float, SimParams]] = {
    "BTCUSDT": (65_000.0, SimParams()),
    "ETHUSDT": (3_400.0, SimParams(touch_qty=25.0, trade_size_mean=0.8, permanent_impact_per_unit=1.3e-5,
                                   temporary_impact_per_unit=5e-6, open_interest_start=900_000.0)),
}


@dataclass(frozen=True)
class _Consts:
    """Per-step constants derived once from the params."""

    tick: float
    step: float
    price_digits: int
    qty_digits: int
    sigma_s: float
    resilience: float
    displacement_decay: float
    oi_sigma_s: float
    poisson_l: float
    trade_mu: float
    profile: tuple[float, ...]


def _digits(increment: float) -> int:
    return max(0, -int(math.floor(math.log10(increment) + 1e-9)))


def _consts(p: SimParams) -> _Consts:
    assert p.tick_size is not None and p.qty_step is not None
    return _Consts(
        tick=p.tick_size,
        step=p.qty_step,
        price_digits=_digits(p.tick_size),
        qty_digits=_digits(p.qty_step),
        sigma_s=p.vol_per_hour / 60.0,
        resilience=0.5 ** (1.0 / p.resilience_half_life_s),
        displacement_decay=0.5 ** (1.0 / p.displacement_half_life_s),
        oi_sigma_s=p.open_interest_vol_per_hour / 60.0,
        poisson_l=math.exp(-p.trade_rate_per_s),
        trade_mu=math.log(p.trade_size_mean) - p.trade_size_sigma**2 / 2,
        profile=tuple(p.touch_qty * (1 + p.depth_growth * i) for i in range(p.levels)),
    )


def _resolve_params(symbol: str, params: SimParams | None) -> SimParams:
    params = params or SimParams()
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


def _poisson(rng: random.Random, limit: float) -> int:
    n, product = 0, rng.random()
    while product > limit:
        n += 1
        product *= rng.random()
    return n


class SimMarket:
    def __init__(
        self,
        *,
        symbol: str,
        seed: int,
        params: SimParams,
        origin_ts: float,
        k: int,
        fair: float,
        displacement: float,
        spread_ticks: int,
        bid_depletion: list[float],
        ask_depletion: list[float],
        second_volume: list[float],
        minute_volume: list[float],
        minute_mids: list[float],
        minute_oi: list[float],
        trades: list[Trade],
        funding: float,
        open_interest: float,
    ) -> None:
        self.symbol = symbol
        self.seed = seed
        self.params = params
        self._c = _consts(params)
        self.origin_ts = origin_ts
        self.k = k
        self.fair = fair
        self.displacement = displacement
        self.spread_ticks = spread_ticks
        self._depletion = {Side.BUY: bid_depletion, Side.SELL: ask_depletion}  # keyed by book side
        self._second_volume = second_volume
        self._minute_volume = minute_volume
        self._minute_mids = minute_mids
        self._minute_oi = minute_oi
        self._trades = trades
        self.funding = funding
        self.open_interest = open_interest
        self._noise_cache: OrderedDict[int, tuple[list[float], list[float]]] = OrderedDict()

    # ------------------------------------------------------------------ construction and state

    @classmethod
    def create(
        cls,
        symbol: str,
        *,
        seed: int,
        start_ts: float,
        start_price: float = 65000.0,
        warmup_seconds: int = 3600,
        params: SimParams | None = None,
    ) -> SimMarket:
        """A market whose clock reads ``start_ts`` and whose fair price is ``start_price`` after warm-up."""
        params = _resolve_params(symbol, params)
        levels = params.levels
        market = cls(
            symbol=symbol,
            seed=seed,
            params=params,
            origin_ts=float(start_ts) - warmup_seconds,
            k=0,
            fair=start_price,
            displacement=0.0,
            spread_ticks=params.spread_ticks_min,
            bid_depletion=[0.0] * levels,
            ask_depletion=[0.0] * levels,
            second_volume=[0.0] * 60,
            minute_volume=[0.0] * 60,
            minute_mids=[],
            minute_oi=[],
            trades=[],
            funding=params.funding_mean,
            open_interest=params.open_interest_start,
        )
        # The warm-up path is known in advance (step k's first draw is its price shock), so start it
        # where it will end at start_price: the desk sees the price it asked for.
        market.fair = start_price / math.exp(market._log_drift(1, warmup_seconds))
        market._record_minute()
        for k in range(1, warmup_seconds + 1):
            market._step(k)
        return market

    def to_state(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "symbol": self.symbol,
            "seed": self.seed,
            "params": asdict(self.params),
            "origin_ts": self.origin_ts,
            "k": self.k,
            "fair": self.fair,
            "displacement": self.displacement,
            "spread_ticks": self.spread_ticks,
            "bid_depletion": list(self._depletion[Side.BUY]),
            "ask_depletion": list(self._depletion[Side.SELL]),
            "second_volume": list(self._second_volume),
            "minute_volume": list(self._minute_volume),
            "minute_mids": list(self._minute_mids),
            "minute_oi": list(self._minute_oi),
            "trades": [[t.ts, t.price, t.qty, t.side] for t in self._trades],
            "funding": self.funding,
            "open_interest": self.open_interest,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> SimMarket:
        if d.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported SimMarket state version {d.get('v')!r}")
        return cls(
            symbol=d["symbol"],
            seed=int(d["seed"]),
            params=SimParams(**d["params"]),
            origin_ts=float(d["origin_ts"]),
            k=int(d["k"]),
            fair=float(d["fair"]),
            displacement=float(d["displacement"]),
            spread_ticks=int(d["spread_ticks"]),
            bid_depletion=[float(x) for x in d["bid_depletion"]],
            ask_depletion=[float(x) for x in d["ask_depletion"]],
            second_volume=[float(x) for x in d["second_volume"]],
            minute_volume=[float(x) for x in d["minute_volume"]],
            minute_mids=[float(x) for x in d["minute_mids"]],
            minute_oi=[float(x) for x in d["minute_oi"]],
            trades=[Trade(float(ts), float(px), float(q), str(s)) for ts, px, q, s in d["trades"]],
            funding=float(d["funding"]),
            open_interest=float(d["open_interest"]),
        )

    # ------------------------------------------------------------------ reading

    @property
    def ts(self) -> float:
        return self.origin_ts + self.k

    @property
    def tick(self) -> float:
        return self._c.tick

    @property
    def qty_step(self) -> float:
        return self._c.step

    @property
    def mid(self) -> float:
        """Mid of the visible touch, so temporary impact (depleted levels) shows in it."""
        return (self.best_bid + self.best_ask) / 2

    @property
    def best_bid(self) -> float:
        return self._touch_price(Side.BUY)

    @property
    def best_ask(self) -> float:
        return self._touch_price(Side.SELL)

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        """Bid and ask ladders, best first; levels emptied by trades are skipped, deeper ones shown."""
        return self._ladder(Side.BUY, levels), self._ladder(Side.SELL, levels)

    def depletion(self, book_side: Side) -> tuple[float, ...]:
        """Outstanding depleted quantity per level (``Side.BUY`` = bids), index 0 at the touch."""
        return tuple(self._depletion[book_side])

    def snapshot(self) -> MarketSnapshot:
        bids, asks = self.book(5)
        return MarketSnapshot(
            symbol=self.symbol,
            ts=self.ts,
            mid=round(self.mid, self._c.price_digits + 1),
            best_bid=bids[0].price if bids else self.best_bid,
            best_ask=asks[0].price if asks else self.best_ask,
            bids=tuple(bids),
            asks=tuple(asks),
            last_trades=tuple(self._trades),
            volume_1m=round(sum(self._second_volume), self._c.qty_digits),
            volume_1h=round(sum(self._minute_volume), self._c.qty_digits),
            volatility_1h=self._volatility_1h(),
            funding_rate=self.funding,
            oi_change_1h=self.open_interest / self._minute_oi[0] - 1 if self._minute_oi else 0.0,
            source="sim",
            extra={"fair_price": self.fair, "spread_ticks": self.spread_ticks},
        )

    # ------------------------------------------------------------------ moving

    def advance_to(self, ts: float) -> list[Trade]:
        """Step whole seconds up to ``ts``; a long gap is jumped and only its last steps simulated."""
        target = math.floor(ts - self.origin_ts + 1e-9)
        if target <= self.k:
            return []
        cap = self.params.max_steps_per_call
        if target - self.k > cap:
            self._jump(target - cap)
        trades: list[Trade] = []
        for k in range(self.k + 1, target + 1):
            trades.extend(self._step(k))
        return trades

    def take(
        self, side: Side, qty: float, *, limit_price: float | None = None, impact: bool = True
    ) -> list[tuple[float, float]]:
        """Our marketable order walks the opposite ladder from the touch and depletes it.

        ``limit_price`` stops the walk at that price. With ``impact`` the fair price moves
        permanently and the centre is displaced transiently; the paper venue passes ``impact=False``
        for maker fills of resting orders that the market walked through.
        """
        fills = self._consume(side, self._lots(qty), limit_price)
        filled = sum(q for _, q in fills)
        if impact and filled > 0:
            self._apply_impact(side.sign * filled)
        return fills

    # ------------------------------------------------------------------ internals: one step

    def _step(self, k: int) -> list[Trade]:
        c = self._c
        rng = random.Random(f"{self.seed}:{self.symbol}:{k}")
        shock = rng.gauss(0.0, 1.0)  # must stay the first draw: create() pre-computes the path from it
        self.k = k
        self.fair *= math.exp(c.sigma_s * shock - c.sigma_s**2 / 2)
        self.displacement *= c.displacement_decay
        self._decay_depletion(c.resilience)
        self._move_spread(rng)
        self._move_funding_and_oi(rng)
        trades = self._market_prints(rng, shock)
        self._account_volume(k, sum(t.qty for t in trades))
        if trades:
            self._trades = (self._trades + trades)[-10:]
        if k % 60 == 0:
            self._record_minute()
        return trades

    def _log_drift(self, first: int, last: int) -> float:
        c = self._c
        return sum(
            c.sigma_s * random.Random(f"{self.seed}:{self.symbol}:{k}").gauss(0.0, 1.0) - c.sigma_s**2 / 2
            for k in range(first, last + 1)
        )

    def _jump(self, new_k: int) -> None:
        """Skip to step ``new_k`` in one move: a single price shock for the gap, histories restarted."""
        c = self._c
        gap = new_k - self.k
        rng = random.Random(f"{self.seed}:{self.symbol}:jump:{self.k}:{new_k}")
        self.fair *= math.exp(c.sigma_s * math.sqrt(gap) * rng.gauss(0.0, 1.0) - c.sigma_s**2 * gap / 2)
        self.open_interest *= math.exp(c.oi_sigma_s * math.sqrt(gap) * rng.gauss(0.0, 1.0))
        self.displacement *= c.displacement_decay**gap
        self._decay_depletion(c.resilience**gap)
        self.k = new_k
        # Histories spanning the gap would misstate volume and volatility; start them afresh.
        self._second_volume = [0.0] * 60
        self._minute_volume = [0.0] * 60
        self._minute_mids, self._minute_oi = [], []
        self._record_minute()

    def _decay_depletion(self, factor: float) -> None:
        for book_side, depleted in list(self._depletion.items()):
            if any(depleted):
                self._depletion[book_side] = [d * factor if d * factor > 1e-12 else 0.0 for d in depleted]

    def _move_spread(self, rng: random.Random) -> None:
        p = self.params
        change, up = rng.random(), rng.random()
        if change < p.spread_change_prob:
            moved = self.spread_ticks + (1 if up < 0.5 else -1)
            self.spread_ticks = min(p.spread_ticks_max, max(p.spread_ticks_min, moved))

    def _move_funding_and_oi(self, rng: random.Random) -> None:
        p, c = self.params, self._c
        funding = self.funding + p.funding_reversion_per_s * (p.funding_mean - self.funding)
        funding += p.funding_vol_per_s * rng.gauss(0.0, 1.0)
        self.funding = min(p.funding_limit, max(-p.funding_limit, funding))
        self.open_interest *= math.exp(c.oi_sigma_s * rng.gauss(0.0, 1.0))

    def _market_prints(self, rng: random.Random, shock: float) -> list[Trade]:
        p, c = self.params, self._c
        count = _poisson(rng, c.poisson_l)
        buy_prob = 0.5 + p.flow_momentum * math.tanh(shock)
        orders = []
        for _ in range(count):
            offset = rng.random()
            side = Side.BUY if rng.random() < buy_prob else Side.SELL
            lots = max(1, round(rng.lognormvariate(c.trade_mu, p.trade_size_sigma) / c.step))
            orders.append((offset, side, lots))
        orders.sort(key=lambda order: order[0])
        start = self.ts - 1
        trades: list[Trade] = []
        for offset, side, lots in orders:
            ts = round(start + max(offset, 0.001), 3)
            for price, qty in self._consume(side, lots, None):
                trades.append(Trade(ts=ts, price=price, qty=qty, side=side.value))
        return trades

    def _account_volume(self, k: int, volume: float) -> None:
        self._second_volume[k % 60] = volume
        bucket = (k // 60) % 60
        if k % 60 == 0:
            self._minute_volume[bucket] = 0.0
        self._minute_volume[bucket] += volume

    def _record_minute(self) -> None:
        self._minute_mids = (self._minute_mids + [self.mid])[-61:]
        self._minute_oi = (self._minute_oi + [self.open_interest])[-61:]

    def _volatility_1h(self) -> float:
        mids = self._minute_mids
        returns = [math.log(b / a) for a, b in zip(mids, mids[1:], strict=False)]
        if len(returns) < 2:
            return 0.0
        return statistics.stdev(returns) * math.sqrt(60)

    def _apply_impact(self, signed_qty: float) -> None:
        p = self.params
        self.displacement += p.temporary_impact_per_unit * signed_qty * self.fair
        self.fair *= 1 + p.permanent_impact_per_unit * signed_qty

    # ------------------------------------------------------------------ internals: the book

    def _lots(self, qty: float) -> int:
        return max(0, math.floor(qty / self._c.step + _LOT_EPS))

    def _touch_ticks(self) -> tuple[int, int]:
        """Integer tick index of the raw best bid and best ask around the displaced centre."""
        centre = (self.fair + self.displacement) / self._c.tick
        bid = math.floor(centre - self.spread_ticks / 2 + 0.5)
        return bid, bid + self.spread_ticks

    def _level_price(self, book_side: Side, i: int) -> float:
        bid, ask = self._touch_ticks()
        ticks = bid - i if book_side is Side.BUY else ask + i
        return round(ticks * self._c.tick, self._c.price_digits)

    def _noise(self, book_side: Side, i: int) -> float:
        period = self.params.depth_noise_period_s
        bucket, into = divmod(self.k, period)
        weight = into / period
        before, after = self._noise_profile(bucket), self._noise_profile(bucket + 1)
        index = 0 if book_side is Side.BUY else 1
        n = i % self.params.levels
        return before[index][n] * (1 - weight) + after[index][n] * weight

    def _noise_profile(self, bucket: int) -> tuple[list[float], list[float]]:
        cached = self._noise_cache.get(bucket)
        if cached is None:
            sigma, levels = self.params.depth_noise, self.params.levels
            rng = random.Random(f"{self.seed}:{self.symbol}:depth:{bucket}")
            draws = [rng.lognormvariate(-(sigma**2) / 2, sigma) for _ in range(2 * levels)]
            cached = (draws[:levels], draws[levels:])
            self._noise_cache[bucket] = cached
            while len(self._noise_cache) > 4:
                self._noise_cache.popitem(last=False)
        return cached

    def _base_qty(self, book_side: Side, i: int) -> float:
        c = self._c
        profile = c.profile[i] if i < len(c.profile) else c.profile[-1]
        return max(c.step, profile * self._noise(book_side, i))

    def _available_lots(self, book_side: Side, i: int) -> int:
        depleted = self._depletion[book_side][i] if i < self.params.levels else 0.0
        return self._lots(self._base_qty(book_side, i) - depleted)

    def _touch_price(self, book_side: Side) -> float:
        for i in range(self.params.levels):
            if self._available_lots(book_side, i) > 0:
                return self._level_price(book_side, i)
        return self._level_price(book_side, self.params.levels)

    def _ladder(self, book_side: Side, levels: int) -> list[Level]:
        c = self._c
        ladder: list[Level] = []
        i = 0
        while len(ladder) < levels:
            lots = self._available_lots(book_side, i)
            if lots > 0:
                ladder.append(Level(self._level_price(book_side, i), round(lots * c.step, c.qty_digits)))
            i += 1
        return ladder

    def _consume(self, side: Side, lots: int, limit_price: float | None) -> list[tuple[float, float]]:
        """An aggressor on ``side`` eats the opposite ladder level by level (at most ``levels`` deep)."""
        c = self._c
        book_side = Side.SELL if side is Side.BUY else Side.BUY
        depleted = self._depletion[book_side]
        fills: list[tuple[float, float]] = []
        for i in range(self.params.levels):
            if lots <= 0:
                break
            price = self._level_price(book_side, i)
            if limit_price is not None and (price - limit_price) * side.sign > c.tick / 2:
                break
            taken = min(lots, self._available_lots(book_side, i))
            if taken <= 0:
                continue
            lots -= taken
            depleted[i] += taken * c.step
            fills.append((price, round(taken * c.step, c.qty_digits)))
        return fills
