"""What a market must offer to be traded by the paper venue and driven by a backtest.

The simulator (``SimMarket``) and the tape replay (``ReplayMarket``) both satisfy it, so the paper
venue's matching, the backtest's execution loop and the strategy set-up run unchanged on either.
The members are exactly those that code touches: the venue reads the touch and the ladder and takes
liquidity; the backtest moves the clock, reads snapshots and builds VWAP's volume curve.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side


@runtime_checkable
class MatchableMarket(Protocol):
    @property
    def symbol(self) -> str: ...

    @property
    def ts(self) -> float:
        """The market's clock, Unix seconds."""
        ...

    @property
    def best_bid(self) -> float: ...

    @property
    def best_ask(self) -> float: ...

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        """Bid and ask ladders, best first, empty levels skipped."""
        ...

    def take(
        self, side: Side, qty: float, *, limit_price: float | None = None, impact: bool = True
    ) -> list[tuple[float, float]]:
        """An aggressive order on ``side`` walks the opposite ladder: ``(price, qty)`` per level taken.

        ``limit_price`` stops the walk there; ``impact=False`` (a resting order the book walked across)
        depletes the ladder without moving the price.
        """
        ...

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """One of our resting orders on ``side`` was filled for ``qty``: apply our permanent impact."""
        ...

    def advance_to(self, ts: float) -> list[Trade]:
        """Move the clock forward to ``ts``; the public prints of the interval, oldest first."""
        ...

    def snapshot(self) -> MarketSnapshot: ...

    def hourly_volumes(self, hours: int = 24) -> list[tuple[float, float]]:
        """``(hour_start_ts, volume)`` for up to ``hours`` whole UTC hours before now, oldest first.

        The input of ``VolumeCurve.from_hourly_volumes``.
        """
        ...
