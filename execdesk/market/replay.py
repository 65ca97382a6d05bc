"""Replay of Bybit's public trade archive as a market we can trade against.

:class:`ReplayMarket` replays a :class:`TradeTape` (the archive loaded as numpy columns, see
:mod:`execdesk.market.replay_tape`) through the same interface as the simulator
(:class:`execdesk.domain.matchable.MatchableMarket`), so the paper venue and the backtest run on it unchanged.

**The order book is not in the archive.** ReplayMarket shows an explicit approximation of it
(docs/replay.md gives the reasoning and the limits):

* *Touch.* The ask is the last buy-aggressor print, the bid the last sell-aggressor print. The spread
  is kept between ``min_spread_ticks`` and a maximum read from the tape: the ``max_spread_quantile``
  of its bid/ask bounces (consecutive prints of opposite aggressors within ``bounce_window_s``, buy
  price minus sell price). When the two prints disagree with those bounds, the more recent print
  stands and the other side is clamped. When one side has not printed for ``side_stale_s`` longer
  than the other, it is placed at the tape's typical (median) bounce from the side that did.
* *Depth.* Both sides hold the same sizes, scaled by the traded volume per minute over the last
  ``depth_window_s``: the touch ``touch_share`` of it, every deeper level (one tick apart, ``levels``
  deep) ``level_share`` of it, and never less than the tape's median print size.
* *Our trades.* An aggressive order walks that ladder and depletes it; depleted quantity refills with
  ``refill_half_life_s``. Each fill also moves the market: a permanent offset (linear,
  ``permanent_impact_per_unit``) and a transient displacement (``transient_impact_per_unit``) that halves
  every ``transient_half_life_s``; by default both come from the tape's own Kyle λ fitted on the warm-up
  before ``start_ts`` (:mod:`execdesk.market.replay_calibration`: the lasting part of λ is permanent, the
  rest transient). The offset is added to every price the tape shows after our trade: the touch, the
  ladder and the prints ``advance_to`` returns.
* *Passive fills* come only from the tape's prints at or through a resting price, beyond the queue
  ahead (the paper venue's queue model, fed with ``advance_to``'s trades): nothing fills for free.

No randomness is involved: the same tape and the same calls give the same market.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.market.replay_calibration import ReplayCalibration, calibrate
from execdesk.market.replay_tape import COLUMNS, OPTIONAL_COLUMNS, TapeError, TradeTape, infer_instrument

STATE_VERSION = 1
_LOT_EPS = 1e-9


@dataclass(frozen=True)
class ReplayParams:
    """The book approximation and our market impact; module docstring and docs/replay.md explain each."""

    levels: int = 50
    min_spread_ticks: int = 1
    max_spread_quantile: float = 0.95
    bounce_window_s: float = 1.0
    side_stale_s: float = 30.0
    depth_window_s: float = 300.0
    touch_share: float = 0.10  # touch size: 10 % of a minute's traded volume
    level_share: float = 0.02  # each deeper level: 2 % of it
    refill_half_life_s: float = 5.0
    permanent_impact_per_unit: float | None = None  # fraction of price per base unit; None: the warm-up's λ
    transient_impact_per_unit: float | None = None  # None: the warm-up's λ less its lasting part
    transient_half_life_s: float = 30.0
    lambda_bucket_s: float = 5.0  # Kyle λ and σ from the model mid over buckets this long
    lasting_lag_s: float = 30.0  # the lasting part of λ: the mid this long after the bucket

    def __post_init__(self) -> None:
        for name in ("levels", "min_spread_ticks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ReplayParams.{name} must be a whole number >= 1, got {value!r}")
        if not 0.5 <= self.max_spread_quantile <= 1:
            raise ValueError(
                f"ReplayParams.max_spread_quantile must be in [0.5, 1], got {self.max_spread_quantile!r}"
            )
        for name in (
            "bounce_window_s",
            "side_stale_s",
            "depth_window_s",
            "refill_half_life_s",
            "transient_half_life_s",
            "lambda_bucket_s",
            "lasting_lag_s",
            "touch_share",
            "level_share",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"ReplayParams.{name} must be a finite number > 0, got {value!r}")
        for name in ("permanent_impact_per_unit", "transient_impact_per_unit"):
            value = getattr(self, name)
            if value is None:
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"ReplayParams.{name} must be a finite number >= 0, got {value!r}")


def _digits(increment: Decimal) -> int:
    exponent = increment.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


class ReplayMarket:
    """A :class:`TradeTape` replayed as a market; see the module docstring for the book model.

    The clock starts at ``start_ts`` (default: the first print); prints at or before it are history.
    """

    def __init__(
        self,
        tape: TradeTape,
        *,
        instrument: Instrument | None = None,
        params: ReplayParams | None = None,
        start_ts: float | None = None,
        calibrated_until: float | None = None,
    ) -> None:
        self.tape = tape
        self.params = params = params or ReplayParams()
        self.instrument = instrument or infer_instrument(tape)
        if self.instrument.symbol != tape.symbol:
            raise ValueError(f"instrument {self.instrument.symbol} does not match the {tape.symbol} tape")
        self.symbol = tape.symbol
        self._tick = float(self.instrument.tick_size)
        self._step = float(self.instrument.qty_step)
        self._price_digits = _digits(self.instrument.tick_size)
        self._qty_digits = _digits(self.instrument.qty_step)
        self._typical_spread, self._max_spread = self._spread_bounds()
        self._floor_lots = max(1, self._lots(tape.median_size))
        start = tape.start if start_ts is None else float(start_ts)
        if not (math.isfinite(start) and start >= tape.start):
            raise ValueError(
                f"start_ts must be at or after the tape's first print {tape.start}, got {start_ts!r}"
            )
        until = start if calibrated_until is None else float(calibrated_until)
        if not (tape.start <= until <= start):
            raise ValueError(f"calibrated_until must lie between the tape's first print and start_ts, got {until!r}")
        key = ("calibration", until, params, self._tick)  # a restored copy (a markout's fork) reuses it
        if key not in tape._cache:
            tape._cache[key] = calibrate(
                tape, until, self._model_mid_at, bucket_s=params.lambda_bucket_s, lasting_lag_s=params.lasting_lag_s
            )
        self.calibration: ReplayCalibration = tape._cache[key]
        self.permanent_impact_per_unit = (
            params.permanent_impact_per_unit
            if params.permanent_impact_per_unit is not None
            else self.calibration.permanent_per_unit
        )
        self.transient_impact_per_unit = (
            params.transient_impact_per_unit
            if params.transient_impact_per_unit is not None
            else self.calibration.transient_per_unit
        )
        self._now = start
        self._cursor = int(np.searchsorted(tape.ts, start, side="right"))  # prints at or before now
        self._permanent = 0.0  # price offset from our trades, price units
        self._transient = 0.0  # transient displacement as of _transient_ts
        self._transient_ts = start
        self._events: tuple[list[float], list[float], list[float]] = ([], [], [])  # ts, permanent, transient
        self._depletion = {Side.BUY: [0.0] * params.levels, Side.SELL: [0.0] * params.levels}  # lots
        self._depletion_ts = start
        self._touch_memo: tuple[tuple[float, int], tuple[int, int]] | None = None
        self._size_memo: tuple[float, tuple[int, int]] | None = None

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state; the tape itself is referred to by path and symbol, not copied."""
        i = self.instrument
        return {
            "v": STATE_VERSION,
            "tape": self.tape.path,
            "symbol": self.symbol,
            "params": asdict(self.params),
            "instrument": {
                "tick_size": str(i.tick_size),
                "qty_step": str(i.qty_step),
                "min_qty": str(i.min_qty),
                "min_notional": str(i.min_notional),
                "base_asset": i.base_asset,
                "quote_asset": i.quote_asset,
            },
            "now": self._now,
            "permanent": self._permanent,
            "transient": self._transient,
            "transient_ts": self._transient_ts,
            "events": [list(column) for column in self._events],
            "bid_depletion": list(self._depletion[Side.BUY]),
            "ask_depletion": list(self._depletion[Side.SELL]),
            "depletion_ts": self._depletion_ts,
            "calibrated_until": self.calibration.until,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any], *, tape: TradeTape | None = None) -> ReplayMarket:
        """The market ``to_state`` described; ``tape`` saves reloading a tape the caller holds."""
        if d.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported ReplayMarket state version {d.get('v')!r}")
        tape = tape or TradeTape.load(d["tape"], symbol=d["symbol"])
        if tape.symbol != d["symbol"]:
            raise ValueError(f"the state is of a {d['symbol']} replay, the tape given holds {tape.symbol}")
        rules = d["instrument"]
        instrument = Instrument(
            symbol=d["symbol"],
            tick_size=Decimal(rules["tick_size"]),
            qty_step=Decimal(rules["qty_step"]),
            min_qty=Decimal(rules["min_qty"]),
            min_notional=Decimal(rules["min_notional"]),
            base_asset=rules["base_asset"],
            quote_asset=rules["quote_asset"],
        )
        known = {f.name for f in fields(ReplayParams)}  # a state of version 1 may carry permanent_gamma
        params = ReplayParams(**{k: v for k, v in d["params"].items() if k in known})
        market = cls(
            tape,
            instrument=instrument,
            params=params,
            start_ts=float(d["now"]),
            calibrated_until=d.get("calibrated_until"),  # older states: calibrated on the history until now
        )
        market._permanent = float(d["permanent"])
        market._transient = float(d["transient"])
        market._transient_ts = float(d["transient_ts"])
        event_ts, permanent, transient = d["events"]
        market._events = (
            [float(x) for x in event_ts],
            [float(x) for x in permanent],
            [float(x) for x in transient],
        )
        market._depletion = {
            Side.BUY: [float(x) for x in d["bid_depletion"]],
            Side.SELL: [float(x) for x in d["ask_depletion"]],
        }
        market._depletion_ts = float(d["depletion_ts"])
        return market

    # ------------------------------------------------------------------ reading

    @property
    def ts(self) -> float:
        return self._now

    @property
    def tick(self) -> float:
        return self._tick

    @property
    def qty_step(self) -> float:
        return self._step

    @property
    def best_bid(self) -> float:
        return self._touch_price(Side.BUY)

    @property
    def best_ask(self) -> float:
        return self._touch_price(Side.SELL)

    @property
    def mid(self) -> float:
        """Mid of the visible touch, so our depletion of the book shows in it."""
        return (self.best_bid + self.best_ask) / 2

    @property
    def impact_offset(self) -> float:
        """What our trades add to every price the tape shows now (permanent plus decayed transient)."""
        return self._offset_now(self._now)

    @property
    def spread_bounds_ticks(self) -> tuple[int, int]:
        """(typical, maximum) spread in ticks, read from the tape's bid/ask bounces."""
        return self._typical_spread, self._max_spread

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        """Bid and ask ladders, best first; levels our trades emptied are skipped, deeper ones shown."""
        self._refill()
        return self._ladder(Side.BUY, levels), self._ladder(Side.SELL, levels)

    def depletion(self, book_side: Side) -> tuple[float, ...]:
        """Outstanding depleted quantity per level (``Side.BUY`` = bids), index 0 at the touch."""
        self._refill()
        return tuple(round(lots * self._step, self._qty_digits) for lots in self._depletion[book_side])

    def snapshot(self) -> MarketSnapshot:
        bids, asks = self.book(5)
        tape, now = self.tape, self._now
        recent = slice(max(0, self._cursor - 10), self._cursor)
        return MarketSnapshot(
            symbol=self.symbol,
            ts=now,
            mid=round((bids[0].price + asks[0].price) / 2, self._price_digits + 1),
            best_bid=bids[0].price,
            best_ask=asks[0].price,
            bids=tuple(bids),
            asks=tuple(asks),
            last_trades=tuple(self._trades(recent, self._offsets_at(tape.ts[recent], prints=True))),
            volume_1m=round(self._volume_since(now - 60), self._qty_digits),
            volume_1h=round(self._volume_1h(), self._qty_digits),
            volatility_1h=self._volatility_1h(),
            funding_rate=0.0,
            oi_change_1h=0.0,
            stale=now > tape.end,
            source="replay",
            extra={
                "unavailable": ["funding_rate", "oi_change_1h"],
                "note": "Bybit's trade archive holds neither funding nor open interest: both read 0",
                "book": "approximated from the prints (docs/replay.md)",
                "impact_offset": self.impact_offset,
                "history_s": min(3600.0, now - tape.start),
                "tape_end": tape.end,
            },
        )

    def hourly_volumes(self, hours: int = 24) -> list[tuple[float, float]]:
        """``(hour_start_ts, volume)`` of up to ``hours`` whole UTC hours before now, oldest first, as
        ``VolumeCurve.from_hourly_volumes`` takes them. Only hours the tape covers entirely count: an
        hour starting before the minute of the first print would show a fraction of its volume."""
        if hours < 1:
            raise ValueError(f"hours must be >= 1, got {hours!r}")
        last_end = math.floor(self._now / 3600) * 3600
        covered_from = math.floor(self.tape.start / 60) * 60
        starts = [last_end - 3600 * k for k in range(hours, 0, -1)]
        starts = [s for s in starts if s >= covered_from]
        if not starts:
            return []
        edges = np.array(starts + [starts[-1] + 3600], dtype=np.float64)
        cum = self.tape.cum_qty[np.searchsorted(self.tape.ts, edges, side="left")]
        volumes = np.round(np.diff(cum), self._qty_digits)
        return [(float(s), float(v)) for s, v in zip(starts, volumes.tolist(), strict=True)]

    # ------------------------------------------------------------------ moving

    def advance_to(self, ts: float) -> list[Trade]:
        """The tape's prints after the current time up to and including ``ts``, shifted by our impact."""
        if not ts > self._now:
            return []
        end = int(np.searchsorted(self.tape.ts, ts, side="right"))
        window = slice(self._cursor, end)
        self._now, self._cursor = float(ts), end
        if window.start == end:
            return []
        offsets = self._offsets_after_last_trade(self.tape.ts[window]) if self._events[0] else None
        return self._trades(window, offsets)

    def take(
        self, side: Side, qty: float, *, limit_price: float | None = None, impact: bool = True
    ) -> list[tuple[float, float]]:
        """Our marketable order walks the opposite ladder from the touch (at most ``levels`` deep).

        ``limit_price`` stops the walk; with ``impact`` the fill moves the market (permanent offset and
        transient displacement); the paper venue passes ``impact=False`` for maker fills of resting
        orders the book walked across.
        """
        self._refill()
        book_side = Side.SELL if side is Side.BUY else Side.BUY
        depleted = self._depletion[book_side]
        lots = self._lots(qty)
        touch_lots, level_lots = self._level_sizes()
        fills: list[tuple[float, float]] = []
        filled = 0
        for i in range(self.params.levels):
            if lots <= 0:
                break
            price = self._level_price(book_side, i)
            if limit_price is not None and (price - limit_price) * side.sign > self._tick / 2:
                break
            base = touch_lots if i == 0 else level_lots
            taken = min(lots, math.floor(base - depleted[i] + _LOT_EPS))
            if taken <= 0:
                continue
            lots -= taken
            filled += taken
            depleted[i] += taken
            fills.append((price, round(taken * self._step, self._qty_digits)))
        if impact and filled:
            self._apply_impact(side.sign * filled * self._step)
        return fills

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """A resting order of ours was filled: the replayed prices move by our permanent impact (no
        transient part: we took no liquidity)."""
        if qty > 0:
            self._apply_impact(side.sign * qty, transient=False)

    # ------------------------------------------------------------------ internals: impact

    def _apply_impact(self, signed_qty: float, *, transient: bool = True) -> None:
        now = self._now
        mid = self._model_mid_now()
        self._transient = self._offset_now(now) - self._permanent
        self._transient_ts = now
        self._permanent += self.permanent_impact_per_unit * signed_qty * mid
        if transient:
            self._transient += self.transient_impact_per_unit * signed_qty * mid
        for column, value in zip(self._events, (now, self._permanent, self._transient), strict=True):
            column.append(value)

    def _offset_now(self, t: float) -> float:
        decay = math.exp2(-(t - self._transient_ts) / self.params.transient_half_life_s)
        return self._permanent + self._transient * decay

    def _offsets_after_last_trade(self, times: np.ndarray) -> np.ndarray:
        decay = np.exp2(-(times - self._transient_ts) / self.params.transient_half_life_s)
        result: np.ndarray = self._permanent + self._transient * decay
        return result

    def _offsets_at(self, times: np.ndarray, *, prints: bool) -> np.ndarray | None:
        """Our offset as it stood at each (past or present) time, from the history of our trades.

        A print at the very time of one of our trades was on the tape before it (``advance_to`` had
        released it), so ``prints`` leaves that trade out; a mid at that time already shows it.
        """
        event_ts, permanent, transient = self._events
        if not event_ts or times.size == 0:
            return None
        k = np.searchsorted(np.array(event_ts), times, side="left" if prints else "right") - 1
        after = k >= 0
        k = np.maximum(k, 0)
        since = times - np.array(event_ts)[k]
        decay = np.exp2(-since / self.params.transient_half_life_s)
        offsets = np.array(permanent)[k] + np.array(transient)[k] * decay
        result: np.ndarray = np.where(after, offsets, 0.0)
        return result

    # ------------------------------------------------------------------ internals: the touch

    def _spread_bounds(self) -> tuple[int, int]:
        p, tick = self.params, self._tick
        bounces = self.tape.bounce_quantiles(p.bounce_window_s, p.max_spread_quantile)
        if bounces is None:
            return p.min_spread_ticks, p.min_spread_ticks
        median, high = bounces
        maximum = max(p.min_spread_ticks, round(high / tick))
        return min(maximum, max(p.min_spread_ticks, round(median / tick))), maximum

    def _model_touch(self, times: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw bid price (before our offset) and spread in ticks at each time, from the last prints.

        ``counts[j]`` is the number of prints at or before ``times[j]`` (at least one).
        """
        tape, p, tick = self.tape, self.params, self._tick
        last = counts - 1
        buy_i, sell_i = tape.last_buy[last], tape.last_sell[last]
        has_buy, has_sell = buy_i >= 0, sell_i >= 0
        ask_px, ask_ts = tape.price[np.maximum(buy_i, 0)], tape.ts[np.maximum(buy_i, 0)]
        bid_px, bid_ts = tape.price[np.maximum(sell_i, 0)], tape.ts[np.maximum(sell_i, 0)]
        buy_ok = has_buy & (~has_sell | (ask_ts >= bid_ts - p.side_stale_s))
        sell_ok = has_sell & (~has_buy | (bid_ts >= ask_ts - p.side_stale_s))
        both = buy_ok & sell_ok
        raw = np.rint((ask_px - bid_px) / tick)
        clamped = np.clip(raw, p.min_spread_ticks, self._max_spread)
        spread = np.where(both, clamped, self._typical_spread)
        # the sell print stands as the bid unless the buy print is the only fresh one, or the two
        # disagree with the spread bounds and the buy print is the more recent (ties: the buy)
        sell_anchors = sell_ok & (~buy_ok | (raw == clamped) | (bid_ts > ask_ts))
        bid = np.where(sell_anchors, bid_px, ask_px - spread * tick)
        return bid, spread.astype(np.int64)

    def _touch_ticks(self) -> tuple[int, int]:
        """Tick index of the model's bid and ask now, our offset included (before our depletion)."""
        key = (self._now, len(self._events[0]))
        if self._touch_memo is None or self._touch_memo[0] != key:
            bid, spread = self._model_touch(np.array([self._now]), np.array([self._cursor]))
            bid_ticks = round((float(bid[0]) + self._offset_now(self._now)) / self._tick)
            self._touch_memo = (key, (bid_ticks, bid_ticks + int(spread[0])))
        return self._touch_memo[1]

    def _model_mid_at(self, times: np.ndarray) -> np.ndarray:
        """The model mid (before our offset) at each time, from the prints at or before it (at least one)."""
        counts = np.maximum(np.searchsorted(self.tape.ts, times, side="right"), 1)
        bid, spread = self._model_touch(times, counts)
        result: np.ndarray = bid + spread * self._tick / 2
        return result

    def _model_mid_now(self) -> float:
        bid, ask = self._touch_ticks()
        return (bid + ask) / 2 * self._tick

    def _level_price(self, book_side: Side, i: int) -> float:
        bid, ask = self._touch_ticks()
        ticks = bid - i if book_side is Side.BUY else ask + i
        return round(ticks * self._tick, self._price_digits)

    def _touch_price(self, book_side: Side) -> float:
        self._refill()
        ladder = self._ladder(book_side, 1)
        return ladder[0].price

    # ------------------------------------------------------------------ internals: depth

    def _lots(self, qty: float) -> int:
        return max(0, math.floor(qty / self._step + _LOT_EPS))

    def _level_sizes(self) -> tuple[int, int]:
        """Lots at the touch and at each deeper level, from the volume traded per minute lately."""
        if self._size_memo is None or self._size_memo[0] != self._now:
            p = self.params
            span = min(p.depth_window_s, max(self._now - self.tape.start, 60.0))
            per_minute = self._volume_since(self._now - p.depth_window_s) * 60.0 / span
            sizes = (
                max(self._floor_lots, self._lots(p.touch_share * per_minute)),
                max(self._floor_lots, self._lots(p.level_share * per_minute)),
            )
            self._size_memo = (self._now, sizes)
        return self._size_memo[1]

    def _refill(self) -> None:
        """Depleted levels refill exponentially with ``refill_half_life_s``, evaluated lazily."""
        elapsed = self._now - self._depletion_ts
        if elapsed <= 0:
            return
        self._depletion_ts = self._now
        factor = math.exp2(-elapsed / self.params.refill_half_life_s)
        for book_side, depleted in self._depletion.items():
            if any(depleted):
                self._depletion[book_side] = [d * factor if d * factor > 1e-9 else 0.0 for d in depleted]

    def _ladder(self, book_side: Side, levels: int) -> list[Level]:
        touch_lots, level_lots = self._level_sizes()
        depleted = self._depletion[book_side]
        ladder: list[Level] = []
        i = 0
        while len(ladder) < levels:
            base = touch_lots if i == 0 else level_lots
            lots = math.floor(base - (depleted[i] if i < len(depleted) else 0.0) + _LOT_EPS)
            if lots > 0:
                ladder.append(
                    Level(self._level_price(book_side, i), round(lots * self._step, self._qty_digits))
                )
            i += 1
        return ladder

    # ------------------------------------------------------------------ internals: tape history

    def _volume_since(self, t: float) -> float:
        """Volume of the prints after ``t`` up to now."""
        first = int(np.searchsorted(self.tape.ts, t, side="right"))
        return float(self.tape.cum_qty[self._cursor] - self.tape.cum_qty[min(first, self._cursor)])

    def _trades(self, rows: slice, offsets: np.ndarray | None) -> list[Trade]:
        tape = self.tape
        price = tape.price[rows] if offsets is None else tape.price[rows] + offsets
        price = np.round(np.rint(price / self._tick) * self._tick, self._price_digits)
        return list(
            map(
                Trade,
                tape.ts[rows].tolist(),
                price.tolist(),
                tape.qty[rows].tolist(),
                tape.side_names[rows].tolist(),
            )
        )

    def _volume_1h(self) -> float:
        """The last hour's volume; with less than an hour of tape behind us, the volume of what there is
        scaled to an hour (at least a minute of it), the hour's best estimate rather than a fraction of it."""
        history = self._now - self.tape.start
        if history >= 3600:
            return self._volume_since(self._now - 3600)
        return self._volume_since(self.tape.start - 1.0) * 3600 / max(history, 60.0)

    def _volatility_1h(self) -> float:
        """Std-dev of the model mid's log returns over the last hour, scaled to an hour: sampled every 60 s,
        or every ``lambda_bucket_s`` when less than three minutes of tape lie behind us."""
        step = 60.0 if self._now - self.tape.start >= 180 else self.params.lambda_bucket_s
        times = self._now - step * np.arange(int(3600 / step), -1, -1)
        times = times[times >= self.tape.start]
        if times.size < 3:
            return 0.0
        counts = np.searchsorted(self.tape.ts, times, side="right")
        bid, spread = self._model_touch(times, counts)
        mids = bid + spread * self._tick / 2
        offsets = self._offsets_at(times, prints=False)
        if offsets is not None:
            mids = mids + offsets
        return float(np.std(np.diff(np.log(mids)), ddof=1)) * math.sqrt(3600 / step)


__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "ReplayCalibration",
    "ReplayMarket",
    "ReplayParams",
    "TapeError",
    "TradeTape",
    "infer_instrument",
]
