"""A replay saved between desk steps (as the desk stores its market) continues exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from execdesk.domain.orders import Side
from execdesk.market.replay import COLUMNS, ReplayMarket, ReplayParams, TradeTape

T0 = 1_767_225_600.0
HEADER = ",".join(COLUMNS)


def write_tape(path: Path, n: int = 3000, seed: int = 9) -> Path:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(0.3, n))
    ticks = 650_000 + np.cumsum(rng.choice([-1, 0, 1], n))
    buys = rng.random(n) < 0.5
    lines = [HEADER] + [
        f"{T0 + t:.4f},BTCUSDT,{'Buy' if b else 'Sell'},{q / 1000:.3f},{(k + b) / 10:.2f},PlusTick,i{i},1,1,1"
        for i, (t, b, q, k) in enumerate(zip(times, buys, rng.integers(1, 400, n), ticks, strict=True))
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_restored_replay_continues_identically(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "t.csv"))
    params = ReplayParams(permanent_impact_per_unit=2e-4, transient_impact_per_unit=3e-4)
    original = ReplayMarket(tape, params=params)
    original.advance_to(tape.start + 60)
    original.take(Side.BUY, 1.5)
    original.advance_to(tape.start + 65)

    restored = ReplayMarket.from_state(json.loads(json.dumps(original.to_state())))
    assert restored.tape is not tape  # reloaded from the path

    for market in (original, restored):
        market.take(Side.SELL, 0.7)
    assert original.advance_to(tape.start + 300) == restored.advance_to(tape.start + 300)
    assert original.book() == restored.book()
    assert original.snapshot() == restored.snapshot()
    assert original.to_state() == restored.to_state()


def test_state_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "t.csv", n=50))
    state = ReplayMarket(tape).to_state() | {"v": 99}

    with pytest.raises(ValueError, match="unsupported ReplayMarket state version 99"):
        ReplayMarket.from_state(state, tape=tape)
