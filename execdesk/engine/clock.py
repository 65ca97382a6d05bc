"""The engine's clock: injected, so the desk runs on the wall clock and the backtest on a simulated one."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


class WallClock:
    def now(self) -> float:
        return time.time()


class SimClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, ts: float) -> None:
        if ts < self._now:
            raise ValueError(f"a clock does not go back: {ts} < {self._now}")
        self._now = ts
