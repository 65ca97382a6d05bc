"""`manage.py backtest --tape`: the strategies replayed on a Bybit trade-archive file."""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

T0 = 1_767_571_200.0  # 2026-01-05 00:00 UTC, where Bybit's daily files start
HEADER = "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional"


def write_tape(path: Path, hours: float = 2.0, seed: int = 4) -> Path:
    """A random-walk BTCUSDT tape: ~1 print a second, bid/ask bounce of one tick, gzipped like the archive."""
    rng = random.Random(seed)
    price, t, lines = 65_000.0, T0, [HEADER]
    while t < T0 + hours * 3600:
        t += rng.expovariate(1.0)
        price *= math.exp(rng.gauss(0, 0.0002))
        side = "Buy" if rng.random() < 0.5 else "Sell"
        px = round(price, 1) + (0.1 if side == "Buy" else 0.0)
        size = max(0.001, round(rng.lognormvariate(math.log(0.05), 1.0), 3))
        lines.append(f"{t:.4f},BTCUSDT,{side},{size:.3f},{px:.1f},ZeroPlusTick,m-{len(lines)},1,{size:.3f},1")
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    return path


def test_strategies_replay_a_tape_and_each_seed_starts_further_into_it(tmp_path):
    tape = write_tape(tmp_path / "BTCUSDT2026-01-05.csv.gz")
    out = tmp_path / "tape.json"
    call_command("backtest", "--tape", str(tape), "--strategies", "twap,adaptive", "--seeds", "2", "--qty", "0.5",
                 "--horizon", "900", "--interval", "15", "--workers", "1", "--json", str(out))
    data = json.loads(out.read_text())
    assert data["suite"]["scenarios"] == ["tape"]
    rows = data["rows"]
    assert len(rows) == 2 * 2 * 2  # strategies × seeds × sides (both by default)
    assert all(r["fill_rate"] == pytest.approx(1.0) for r in rows)
    first, second = (r["decision_price"] for r in rows if r["strategy"] == "twap" and r["side"] == "buy")
    assert first != second  # seed 2 starts one horizon later on the tape


def test_a_tape_too_short_for_the_order_is_refused(tmp_path):
    tape = write_tape(tmp_path / "short.csv.gz", hours=1.01)  # an hour's order and not a minute of warm-up
    with pytest.raises(CommandError, match="3,600 s of orders need at least 60 s of warm-up before them"):
        call_command("backtest", "--tape", str(tape), "--strategies", "twap", "--seeds", "1", "--workers", "1")


def test_scenarios_cannot_be_combined_with_a_tape(tmp_path):
    tape = write_tape(tmp_path / "t.csv.gz", hours=0.2)
    with pytest.raises(CommandError, match="cannot be combined with --tape"):
        call_command("backtest", "--tape", str(tape), "--scenarios", "calm")
