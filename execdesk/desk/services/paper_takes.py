"""Our marketable paper orders take liquidity without the symbol's market row lock.

A market or IOC order never rests, so its send needs only a view of the market, not the row: it loads the
last saved state, replays the takes recorded after it (`PaperTake`, in id order), walks the book on that copy
and records its own take. Whoever next loads the market under its lock (the tick, every second) replays the
same takes in the same order into the state it saves and notes the last one folded (`folded_take_id`), so the
market ends as if each take had been made under the lock. Sends on one symbol no longer queue behind each
other or behind the tick. Two sends in flight at the same moment may price off the same book (neither sees
the other's uncommitted take); the saved market still carries both. docs/engine.md."""

from __future__ import annotations

from execdesk.desk.models import PaperTake
from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import Side


class TakeRecorder:
    """A market (MatchableMarket) that remembers the takes made on it; everything else is the market's."""

    def __init__(self, market: MatchableMarket) -> None:
        self._market = market
        self.takes: list[tuple[Side, float, float | None, bool]] = []

    def take(self, side: Side, qty: float, *, limit_price: float | None = None,
             impact: bool = True) -> list[tuple[float, float]]:
        fills = self._market.take(side, qty, limit_price=limit_price, impact=impact)
        if fills:
            self.takes.append((side, qty, limit_price, impact))
        return fills

    @property
    def symbol(self) -> str:
        return self._market.symbol

    @property
    def ts(self) -> float:
        return self._market.ts

    @property
    def best_bid(self) -> float:
        return self._market.best_bid

    @property
    def best_ask(self) -> float:
        return self._market.best_ask

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        return self._market.book(levels)

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        raise TypeError("a take records no passive fill: resting orders fill under the market row's lock")

    def advance_to(self, ts: float) -> list[Trade]:
        raise TypeError("a send never moves the market's clock: the tick does, under the market row's lock")

    def snapshot(self) -> MarketSnapshot:
        return self._market.snapshot()

    def hourly_volumes(self, hours: int = 24) -> list[tuple[float, float]]:
        return self._market.hourly_volumes(hours)


def takes_replay(market: MatchableMarket, symbol: str, after_id: int) -> int:
    """Replay the takes recorded after `after_id` into `market`, oldest first; the last id replayed."""
    last = after_id
    for take in PaperTake.objects.filter(symbol=symbol, id__gt=after_id).order_by("id"):
        market.take(Side(take.side), take.qty, limit_price=take.limit_price, impact=take.impact)
        last = take.id
    return last


def takes_record(symbol: str, order_link_id: str, recorder: TakeRecorder) -> None:
    PaperTake.objects.bulk_create([
        PaperTake(symbol=symbol, side=side.value, qty=qty, limit_price=limit_price, impact=impact,
                  order_link_id=order_link_id)
        for side, qty, limit_price, impact in recorder.takes])


def takes_prune(symbol: str, upto_id: int) -> None:
    """Takes folded into a state that has since been replaced: no reader needs them any more."""
    if upto_id:
        PaperTake.objects.filter(symbol=symbol, id__lte=upto_id).delete()
