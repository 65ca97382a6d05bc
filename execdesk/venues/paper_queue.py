"""Where a resting order of ours stands in its price level's queue, and how the queue ahead shrinks.

The paper venue never sees the other orders at our price, only the visible size there (the market's
ladder, which does not include us). A resting order joins at the back: the queue ahead is the visible
size when it rests. Two things shrink it:

* **Prints** at or through our price trade against the level in time priority: they consume the
  queue ahead before any of it reaches us (no free fills, whether the print is at our price or beyond).
* **Cancellations.** When the visible size at our price falls by more than the prints there explain,
  the difference was cancelled; some of it was ahead of us. Which part is unknown, so a probability-
  weighted share is taken from the queue ahead (in the spirit of the probabilistic queue models of
  hftbacktest): with ``a`` ahead and ``b`` behind us,

      share ahead = a^n / (a^n + b^n)

  ``n = 1`` (the default) says every resting unit is equally likely to be the one cancelled; a larger
  ``n`` puts more of a cancellation in the larger part of the queue. A growing level adds behind us.

Pure arithmetic on Decimals: the venue feeds it what it saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class QueueModel:
    exponent: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.exponent, int | float) and math.isfinite(self.exponent) and self.exponent > 0):
            raise ValueError(f"QueueModel.exponent must be a finite number > 0, got {self.exponent!r}")

    def share_ahead(self, ahead: Decimal, behind: Decimal) -> float:
        """The probability that a unit cancelled at our level was ahead of us."""
        if ahead <= 0:
            return 0.0
        if behind <= 0:
            return 1.0
        a, b = float(ahead) ** self.exponent, float(behind) ** self.exponent
        return a / (a + b)

    def after_cancels(self, ahead: Decimal, seen: Decimal, printed: Decimal, visible: Decimal) -> Decimal:
        """The queue ahead once the level went from ``seen`` to ``visible`` while ``printed`` traded there.

        ``ahead`` is already net of the prints (they consumed it first). What the level lost beyond the
        prints was cancelled, and the share of it ahead of us comes off ``ahead``; never more than the
        level now shows.
        """
        expected = max(ZERO, seen - printed)
        cancelled = expected - visible
        if cancelled > 0:
            behind = max(ZERO, expected - ahead)
            ahead -= cancelled * Decimal(repr(self.share_ahead(ahead, behind)))
        return max(ZERO, min(ahead, visible))


__all__ = ["QueueModel"]
