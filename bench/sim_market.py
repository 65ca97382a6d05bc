"""Time the simulated market: warm-up, per-second stepping, snapshots and state round trips.

Run: .venv/bin/python bench/sim_market.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from execdesk.domain.orders import Side
from execdesk.market.sim import SimMarket

START = 1_767_225_600.0
STEPS = 10_000


def timed(label: str, fn: Callable[[], object], repeat: int = 1) -> object:
    began = time.perf_counter()
    result = None
    for _ in range(repeat):
        result = fn()
    elapsed = time.perf_counter() - began
    per = elapsed / repeat
    print(f"{label:<48} {elapsed * 1e3:9.1f} ms total  {per * 1e6:10.1f} µs each  (x{repeat})")
    return result


def main() -> None:
    market = timed(
        "create (3600 warm-up steps)", lambda: SimMarket.create("BTCUSDT", seed=1, start_ts=START), 5
    )
    assert isinstance(market, SimMarket)

    clock = iter(range(1, STEPS + 1))
    trades: list[int] = []
    timed(
        f"advance_to one second at a time ({STEPS} steps)",
        lambda: trades.append(len(market.advance_to(START + next(clock)))),
        STEPS,
    )
    print(f"{'':<48} {sum(trades)} prints, mid {market.mid:.1f}")

    timed("advance_to 900 s in one call", lambda: market.advance_to(market.ts + 900), 10)
    timed("snapshot()", market.snapshot, 1000)
    timed("book(50)", market.book, 1000)
    timed("take(buy, 5 BTC)", lambda: market.take(Side.BUY, 5.0), 100)
    text = json.dumps(market.to_state())
    print(f"{'state size':<48} {len(text)} bytes of JSON")
    timed("to_state + json.dumps", lambda: json.dumps(market.to_state()), 1000)
    timed("json.loads + from_state", lambda: SimMarket.from_state(json.loads(text)), 1000)


if __name__ == "__main__":
    main()
