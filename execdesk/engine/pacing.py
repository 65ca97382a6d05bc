"""What is due, decided the same way for the desk and the backtest."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from typing import TypeVar

from execdesk.domain.market import MarketSnapshot, Trade

EPS = 1e-9  # float clocks: an order placed exactly one interval ago has outlived it
RATE_WINDOW_S = 60.0

K = TypeVar("K", bound=Hashable)


def outlived(placed: Iterable[tuple[K, float]], *, now: float, interval_s: float) -> list[K]:
    """The resting orders (key, placed at) that outlived one decision interval: cancel them, their
    remainder returns to the schedule."""
    cutoff = now - interval_s + EPS
    return [key for key, at in placed if at <= cutoff]


def next_step_due(*, last_proposal_at: float | None, last_order_at: float | None, interval_s: float,
                  min_order_gap_s: float) -> float | None:
    """A step is due one interval after the later of the last proposal and the last child order (the
    child order is made when a human approves; measuring from the proposal would make slow approvals
    self-blocking), never sooner than the risk gate's minimum gap between orders. None: due now."""
    marks = [t for t in (last_proposal_at, last_order_at) if t is not None]
    if not marks:
        return None
    return max(marks) + max(interval_s, min_order_gap_s)


def in_rate_window(sent_at: float, now: float) -> bool:
    """An order counts towards "orders in the last minute" while it is at most a minute old."""
    return sent_at >= now - RATE_WINDOW_S - EPS


class RateWindow:
    """Orders sent in the last minute (the risk gate's orders-per-minute limit)."""

    def __init__(self) -> None:
        self._sent: deque[float] = deque()

    def sent(self, ts: float) -> None:
        self._sent.append(ts)

    def count(self, now: float) -> int:
        while self._sent and not in_rate_window(self._sent[0], now):
            self._sent.popleft()
        return len(self._sent)


VOLUME_DIGITS = 9  # volumes are sums of quantities on a 10^-3..10^-8 step: summed in any order they agree here


def volume_figure(volume: float) -> float:
    """A traded volume as the strategies see it: summed prints and a market's cumulative counts of the same
    prints differ only in float noise, which this rounds away."""
    return round(volume, VOLUME_DIGITS)


class VolumeSinceOrder:
    """The market's traded volume since our last child order, from the prints (a market we see trade)."""

    def __init__(self) -> None:
        self._volume = 0.0

    @property
    def volume(self) -> float:
        return volume_figure(self._volume)

    def order_sent(self) -> None:
        self._volume = 0.0

    def prints(self, trades: Iterable[Trade]) -> None:
        self._volume += sum(t.qty for t in trades)


def estimated_volume_since(market: MarketSnapshot, since: float, now: float) -> float:
    """The market's volume since `since` from the snapshot's rolling volumes (a market we only see in
    snapshots): the last minute's rate over the gap, the last hour's beyond a minute."""
    gap = max(now - since, 0.0)
    if gap <= 60:
        return market.volume_1m * gap / 60
    return market.volume_1h * min(gap, 3600.0) / 3600
