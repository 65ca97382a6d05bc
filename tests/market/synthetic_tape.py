"""Synthetic Bybit trade-archive files for replay tests: a Kyle market with a known λ.

Every print trades at the quote (a buy at the ask, a sell at the bid, one tick apart around the mid) and
then moves the mid by ``lam × signed size`` (a fraction of the price) plus a little noise: the price
response the replay's Kyle fit must recover.
"""

from __future__ import annotations

import gzip
import math
import random
from pathlib import Path

HEADER = "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional"
T0 = 1_767_571_200.0  # 2026-01-05 00:00 UTC, where Bybit's daily files start
TICK = 0.1


def kyle_rows(*, lam: float, seconds: float, rate: float = 4.0, noise: float = 2e-6, seed: int = 7,
              start: float = T0, mid: float = 65_000.0) -> list[tuple[float, str, float, float]]:
    """``(ts, side, size, price)`` rows over ``seconds``: Poisson prints at ``rate`` a second."""
    rng = random.Random(seed)
    t, rows = start, []
    while True:
        t += rng.expovariate(rate)
        if t >= start + seconds:
            return rows
        side = 1 if rng.random() < 0.5 else -1
        size = round(min(5.0, max(0.001, rng.lognormvariate(math.log(0.05), 1.0))), 3)
        bid = math.floor(mid / TICK) * TICK
        price = bid + TICK if side > 0 else bid
        rows.append((t, "Buy" if side > 0 else "Sell", size, round(price, 1)))
        mid *= math.exp(lam * side * size + rng.gauss(0.0, noise))


def write_rows(path: Path, rows: list[tuple[float, str, float, float]]) -> Path:
    lines = [HEADER] + [
        f"{t:.4f},BTCUSDT,{side},{size:.3f},{price:.1f},ZeroPlusTick,m-{i},1,{size:.3f},1"
        for i, (t, side, size, price) in enumerate(rows)
    ]
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path
