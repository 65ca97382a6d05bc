"""The simulated market's book and public prints, under the footprint of our own trades.

Our own trades move the market on top of the exogenous path (:mod:`execdesk.market.sim_path`):

* the **visible book**: the levels we took are depleted and refill with the book's resilience;
* the **latent book** (Alfonsi, Fruth & Schied 2010, Obizhaeva & Wang 2013 with a non-linear shape): our
  aggressive fills add to an *impact volume* ``E`` (signed, base units) that decays exponentially
  (half-life ``impact_half_life_s``); the book's centre is displaced by
  ``D(E) = kappa sgn(E) sqrt(|E|)`` of the fair price, ``kappa = Y sigma_daily / sqrt(ADV)``, the
  square-root law of metaorder impact, times the regime's volatility over the square root of its print
  rate (a volatile session moves more for the same volume, a busy one less). A liquidity density growing
  linearly away from the price gives that shape (Donier, Bonart, Mastromatteo & Bouchaud 2015). Our fill
  walks the visible book as it stands, displaced by our earlier fills, and its own share of the latent
  book shows from the next quote on: worked in many small children, a metaorder of ``Q`` pays
  ``2/3 kappa sqrt(Q)`` on average when fast and ``kappa sqrt(rate x E's lifetime)`` at steady state
  when slow;
* a small **permanent** shift of the fair price, linear in our signed quantity (Kyle's lambda).

These are kept as a few numbers and decayed in closed form, so the market at second ``k`` does not depend
on how ``advance_to`` was called to get there.

Public prints are :class:`Trade` objects at the prices of the book levels they hit (touch first, walking
deeper when larger than the level), so the paper venue's queue model only fills resting orders that the
market really trades at or through. Other traders' prints do not deplete the book (its depth multiplier
already models their liquidity); ours do.
"""

from __future__ import annotations

import math
from typing import Any

from execdesk.domain.market import Level, Trade
from execdesk.domain.orders import Side
from execdesk.market.sim_params import CHUNK_S
from execdesk.market.sim_path import _LOT_EPS, ChunkCache, _Chunk, _consts

_DEPLETION_FLOOR = 1e-12  # depletion below this (base units) counts as refilled

# One side of the book at a second: touch tick index, direction away from the touch, depth multiplier,
# the level-noise profiles before and after the second and the weight between them.
_BookSide = tuple[int, int, float, list[float], list[float], float]


class SimBook:
    """One simulated market's book at any second: the path's centre, spread and depth, moved by our
    footprint. Our depletion is kept per level counted from the touch, so it travels with the price."""

    def __init__(
        self,
        chunks: ChunkCache,
        *,
        impact_log: float,
        latent: tuple[float, int],
        depletion: dict[Side, tuple[int, list[float]]],
    ) -> None:
        self._chunks = chunks
        self.params = chunks.ident.params
        self._c = _consts(chunks.ident.params)
        self.impact_log = impact_log
        self._impact = math.exp(impact_log)
        self._latent, self._latent_k = latent  # impact volume E as of second _latent_k
        self._set_displacement()
        self._depl: dict[Side, list[float]] = {}
        self._depl_k: dict[Side, int] = {}
        self._clear_k = {Side.BUY: -(2**62), Side.SELL: -(2**62)}  # from then on, nothing of ours is left
        for book_side, (since, levels) in depletion.items():
            self._set_depletion(book_side, since, levels)

    def to_state(self) -> dict[str, Any]:
        """Our footprint, as ``SimMarket.to_state`` saves it and this class's constructor takes it back."""
        return {
            "impact_log": self.impact_log,
            "latent": [self._latent, self._latent_k],
            "depletion": {side.value: [self._depl_k[side], list(levels)]
                          for side, levels in self._depl.items()},
        }

    @property
    def impact(self) -> float:
        """The factor our permanent impact applies to the path's fair price."""
        return self._impact

    def fair(self, k: int) -> float:
        """The fair price at second ``k``: the exogenous path times our permanent impact."""
        chunk, pos = self._chunks.locate(k)
        return chunk.fair[pos] * self._impact

    # ------------------------------------------------------------------ our trades moving it

    def take(
        self, side: Side, qty: float, k: int, *, limit_price: float | None, impact: bool
    ) -> list[tuple[float, float]]:
        """Our marketable order at second ``k`` walks the opposite ladder (``SimMarket.take`` says how)."""
        c = self._c
        book_side = Side.SELL if side is Side.BUY else Side.BUY
        depleted = self.depleted(book_side, k) or [0.0] * self.params.levels
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
        if impact and filled:
            signed = side.sign * filled * c.step
            self._latent, self._latent_k = self.latent(k) + signed, k
            self._set_displacement()
            self.impact_log += self.params.permanent_impact_per_unit * signed
            self._impact = math.exp(self.impact_log)
        return fills

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """A resting order of ours was filled (``qty`` > 0): our permanent impact, no displacement."""
        self.impact_log += self.params.permanent_impact_per_unit * side.sign * qty
        self._impact = math.exp(self.impact_log)

    # ------------------------------------------------------------------ our footprint, decaying

    def latent(self, k: int) -> float:
        """Our impact volume ``E`` at second ``k`` (signed base units), decayed since our last fill."""
        return self._latent * self._c.latent_decay ** (k - self._latent_k) if self._latent else 0.0

    def _set_displacement(self) -> None:
        """``D(E)`` at ``_latent_k`` and its per-second decay factor (``sqrt`` of E's): what the book's
        centre and the prints' hot loop read."""
        e = self._latent
        self._disp = math.copysign(self._c.latent_kappa * math.sqrt(abs(e)), e) if e else 0.0
        self._disp_decay = math.sqrt(self._c.latent_decay)

    def _displacement(self, k: int) -> float:
        """The latent book's displacement of the centre at second ``k``, a fraction of the fair price."""
        return self._disp * self._disp_decay ** (k - self._latent_k) if self._disp else 0.0

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

    def depleted(self, book_side: Side, k: int) -> list[float] | None:
        """Outstanding depletion per level at second ``k`` (None: nothing of ours outstanding)."""
        if k >= self._clear_k[book_side]:
            return None
        factor = self._c.resilience ** (k - self._depl_k[book_side])
        return [x * factor if x * factor >= _DEPLETION_FLOOR else 0.0 for x in self._depl[book_side]]

    # ------------------------------------------------------------------ the book

    def _book_side(self, book_side: Side, k: int) -> _BookSide:
        """What prices and sizes one side of the book at second ``k`` from: (touch tick index, direction
        away from the touch, depth multiplier, level-noise profiles around ``k`` and the weight between)."""
        chunk, pos = self._chunks.locate(k)
        centre = chunk.fair[pos] * self._impact * (1.0 + self._displacement(k) * chunk.impact_scale[pos]) / self._c.tick
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

    def ladder(self, book_side: Side, n: int, k: int) -> list[Level]:
        """The first ``n`` non-empty levels at second ``k`` (``_lots`` and ``_price`` inlined: snapshots are
        frequent)."""
        c = self._c
        touch, direction, depth, before, after, weight = self._book_side(book_side, k)
        depleted = self.depleted(book_side, k)
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
        return ladder

    # ------------------------------------------------------------------ public prints

    def collect(self, a: int, b: int, out: list[Trade]) -> None:
        """Append the public prints of seconds a … b."""
        index = (a - 1) // CHUNK_S
        while index * CHUNK_S < b:
            chunk = self._chunks.chunk_at(index)
            lo, hi = max(a - chunk.k0, 1), min(b - chunk.k0, CHUNK_S)
            if lo <= hi:
                self._prints(chunk, lo, hi, out)
            index += 1

    def tail_prints(self, a: int, b: int, n: int) -> list[Trade]:
        """The last ``n`` public prints of seconds a+1 … b (an hour back at most)."""
        found: list[Trade] = []
        a = max(a, -CHUNK_S)
        hi = b
        while hi > a and len(found) < n:
            lo = max(a, hi - 300)
            window: list[Trade] = []
            self.collect(lo + 1, hi, window)
            found = window + found
            hi = lo
        return found[-n:] if n else []

    def _prints(self, chunk: _Chunk, lo: int, hi: int, out: list[Trade]) -> None:
        """The prints of positions lo … hi of a chunk, priced on the book of their second.

        The hot loop of the simulator: a print that fits in a touch level where nothing of ours is
        outstanding (the common case, decided when the chunk was made) is priced at the touch here;
        anything else walks the book in ``_walk_print``.
        """
        first, fair, spread, scale = chunk.first, chunk.fair, chunk.spread, chunk.impact_scale
        p_ts, p_qty, p_code, p_lots = chunk.p_ts, chunk.p_qty, chunk.p_code, chunk.p_lots
        c = self._c
        tick, tick_num, tick_den, impact, k0 = c.tick, c.tick_num, c.tick_den, self._impact, chunk.k0
        disp, disp_k, decay = self._disp, self._latent_k, self._disp_decay
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
            centre = fair[pos] * impact * (1.0 + (disp * decay ** (k - disp_k) * scale[pos] if disp else 0.0)) / tick
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
        depleted = self.depleted(book_side, k)
        i = 0
        while (lots := self._lots(book, i, depleted)) <= 0:
            i += 1
        return self._price(book, i), lots

    def _walk_print(self, book_side: Side, k: int, lots: int, ts: float, side: str, out: list[Trade]) -> None:
        """A print larger than the touch level (or meeting our depletion) walks the book level by level."""
        c = self._c
        book = self._book_side(book_side, k)
        depleted = self.depleted(book_side, k)
        i = 0
        while lots > 0:
            available = self._lots(book, i, depleted)
            if available > 0:
                taken = min(lots, available)
                out.append(Trade(ts, self._price(book, i), taken * c.step_num / c.step_den, side))
                lots -= taken
            i += 1
