"""A seeded, self-moving market for one symbol: fair-price path, 50-level book, public prints, funding, OI.

:class:`SimMarket` is the public face of two layers, each in a module of its own:

* the **exogenous path** (what the rest of the market does), generated with numpy an hour at a time from
  seeded random streams, so that any second is reproducible and the state needs no RNG state
  (:mod:`execdesk.market.sim_path`);
* **our own trades**, which move the market on top of that path (a small permanent impact, the latent
  book's square-root displacement that decays, depleted levels refilling), and the book and public
  prints priced under them
  (:mod:`execdesk.market.sim_book`).

Its parameters and the per-symbol presets are in :mod:`execdesk.market.sim_params`.

Second ``k`` covers the clock from ``start_ts + k - 1`` to ``start_ts + k``; its prints fall inside it
and are priced on the book as it stands at ``k``. The warm-up only bounds how far back the market's
memory (rolling statistics, last trades) reaches at creation; ``hourly_volumes`` reads further back,
as Bybit's klines would.

The market's volume statistics count the other traders' prints only: our own fills are the caller's to
count. Rolling statistics (1-min and 1-h volume, 1-h volatility from minute marks of the fair price, 1-h
open interest change) come from per-chunk cumulative sums: O(1) per snapshot. The volatility is the
market's own (our permanent impact, a few bps per order, is left out so that the statistic is a pure
function of the exogenous path).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.market import sim_path
from execdesk.market.regimes import Scenario, scenario_named
from execdesk.market.sim_book import SimBook
from execdesk.market.sim_params import CHUNK_S, SIM_PRESETS, SimParams, _finite, _resolve_params
from execdesk.market.sim_path import Anchor, ChunkCache, _consts, _Ident

STATE_VERSION = 3  # 3: the latent book's impact volume replaced the linear displacement
_LAST_TRADES = 10

# The path's caches, which tests clear through this module to build a market as in a fresh process.
_chunk, _volume = sim_path._chunk, sim_path._volume
_modulation, _jump_return = sim_path._modulation, sim_path._jump_return


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
        latent: tuple[float, int],
        depletion: dict[Side, tuple[int, list[float]]],
        last_trades: list[Trade],
    ) -> None:
        self._ident = ident
        self._c = _consts(ident.params)
        self._chunks = ChunkCache(ident, anchors)
        self._book = SimBook(self._chunks, impact_log=impact_log, latent=latent, depletion=depletion)
        self.warmup = warmup
        self.k = k
        self._ladders: dict[tuple[Side, int], list[Level]] = {}  # the book now, until it moves
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
        market = cls(ident, warmup=warmup_seconds, k=0, anchors={}, impact_log=0.0, latent=(0.0, 0),
                     depletion={}, last_trades=[])
        market._last_trades = market._book.tail_prints(-warmup_seconds, 0, _LAST_TRADES)
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
            "anchors": [[index, *anchor] for index, anchor in sorted(self._chunks.anchors.items())],
            **self._book.to_state(),
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
            latent=(float(d["latent"][0]), int(d["latent"][1])),
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
        return self._book.fair(self.k)

    @property
    def impact_log(self) -> float:
        """Log of the factor our permanent impact so far applies to the exogenous fair price."""
        return self._book.impact_log

    def latent_impact(self) -> float:
        """Our impact volume ``E`` now (signed base units): what the latent book's displacement reads."""
        return self._book.latent(self.k)

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
        return tuple(self._book.depleted(book_side, self.k) or [0.0] * self.params.levels)

    def volume_between(self, since: float, until: float) -> float:
        """The public volume printed after ``since`` up to ``until`` (whole seconds, clipped to the warm-up
        and to the market's clock): what a backtest counts from the prints ``advance_to`` returned."""
        a = max(int(math.floor(since - self._ident.start_ts)), -self.warmup)
        b = min(int(math.floor(until - self._ident.start_ts)), self.k)
        return self._chunks.volume_between(a, b)

    def snapshot(self) -> MarketSnapshot:
        c, k, oldest = self._c, self.k, -self.warmup
        bids, asks = self._ladder(Side.BUY, 5), self._ladder(Side.SELL, 5)
        chunk, pos = self._chunks.locate(k)
        ref = max(k - CHUNK_S, oldest)
        ref_chunk, ref_pos = self._chunks.locate(ref)
        return MarketSnapshot(
            symbol=self._ident.symbol,
            ts=self._ident.start_ts + k,
            mid=round((bids[0].price + asks[0].price) / 2, c.price_digits + 1),
            best_bid=bids[0].price,
            best_ask=asks[0].price,
            bids=tuple(bids),
            asks=tuple(asks),
            last_trades=tuple(self._last_trades),
            volume_1m=round(self._chunks.volume_between(max(k - 60, oldest), k), c.qty_digits),
            volume_1h=round(self._chunks.volume_between(ref, k), c.qty_digits),
            volatility_1h=self._chunks.volatility_1h(k, self.warmup),
            funding_rate=float(chunk.funding[pos]),
            oi_change_1h=float(chunk.oi[pos] / ref_chunk.oi[ref_pos]) - 1,
            source="sim",
            extra={"fair_price": chunk.fair[pos] * self._book.impact, "spread_ticks": chunk.spread[pos],
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
            out.append((hour, round(self._chunks.volume_between(first - 1, last), self._c.qty_digits)))
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
        self._book.collect(first, target, trades)
        recent = trades
        if len(trades) < _LAST_TRADES and first > self.k + 1:
            recent = self._book.tail_prints(self.k, first - 1, _LAST_TRADES - len(trades)) + trades
        self._last_trades = (self._last_trades + recent)[-_LAST_TRADES:]
        self.k = target
        self._ladders.clear()
        self._chunks.retire(self.k)
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
        fills = self._book.take(side, qty, self.k, limit_price=limit_price, impact=impact)
        if fills:
            self._ladders.clear()
        return fills

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """A resting order of ours was filled: the fair price moves by our permanent impact, as it does for
        an aggressive fill (informed flow moves prices whichever side of the spread it trades on), but
        there is no transient displacement because we took no liquidity."""
        if qty <= 0:
            return
        self._book.absorb_passive_fill(side, qty)
        self._ladders.clear()

    # ------------------------------------------------------------------ internals

    def _ladder(self, book_side: Side, n: int) -> list[Level]:
        """The first ``n`` non-empty levels, cached until the book moves (snapshots are frequent)."""
        cached = self._ladders.get((book_side, n))
        if cached is None:
            cached = self._ladders[(book_side, n)] = self._book.ladder(book_side, n, self.k)
        return cached


__all__ = ["SIM_PRESETS", "STATE_VERSION", "SimMarket", "SimParams"]
