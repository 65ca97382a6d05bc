from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.market.replay import COLUMNS, ReplayMarket, TradeTape

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HOUR = 3600.0
HEADER = ",".join(COLUMNS)


def write_tape(path: Path, rows: list[tuple[float, str, str]]) -> Path:
    """rows: (seconds after T0, side, size); prices alternate around 65000."""
    lines = [HEADER] + [
        f"{T0 + t:.4f},BTCUSDT,{side},{size},{65000.1 if side == 'Buy' else 65000.0:.2f},PlusTick,i{i},1,{size},1"
        for i, (t, side, size) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def hourly_rows(first_s: float, hours: int, seed: int = 3) -> list[tuple[float, str, str]]:
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(first_s, hours * HOUR, 3000))
    sizes = rng.integers(1, 900, times.size)
    return [
        (float(t), "Buy" if k % 2 else "Sell", f"{q / 1000:.3f}")
        for k, (t, q) in enumerate(zip(times, sizes, strict=True))
    ]


def tape_sum(rows: list[tuple[float, str, str]], start: float, end: float) -> float:
    return round(sum(float(size) for t, _, size in rows if start <= T0 + t < end), 3)


def test_hourly_volumes_sum_the_tape_by_whole_utc_hour(tmp_path: Path) -> None:
    rows = hourly_rows(0.2, hours=5)
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)))
    market.advance_to(T0 + 3 * HOUR + 600)  # the fourth hour is under way: it does not count yet

    volumes = market.hourly_volumes()

    assert [ts for ts, _ in volumes] == [T0, T0 + HOUR, T0 + 2 * HOUR]
    assert [v for _, v in volumes] == [tape_sum(rows, T0 + k * HOUR, T0 + (k + 1) * HOUR) for k in range(3)]
    assert market.hourly_volumes(hours=2) == volumes[1:]
    VolumeCurve.from_hourly_volumes(volumes)  # the shape VWAP takes


def test_a_print_on_the_hour_belongs_to_the_hour_it_starts(tmp_path: Path) -> None:
    rows = [
        (10.0, "Buy", "1.000"),
        (HOUR, "Sell", "2.000"),
        (HOUR + 5, "Buy", "4.000"),
        (2 * HOUR, "Buy", "8.000"),
    ]
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)))
    market.advance_to(T0 + 2 * HOUR)

    assert market.hourly_volumes() == [(T0, 1.0), (T0 + HOUR, 6.0)]


def test_an_hour_the_tape_starts_late_in_is_left_out(tmp_path: Path) -> None:
    rows = hourly_rows(17 * 60.0, hours=3)  # the first print comes 17 minutes into the first hour
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)))
    market.advance_to(T0 + 2 * HOUR + 1)

    assert [ts for ts, _ in market.hourly_volumes()] == [T0 + HOUR]


def test_no_whole_hour_yet_gives_no_samples(tmp_path: Path) -> None:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", hourly_rows(0.5, hours=2))))
    market.advance_to(T0 + 1800)

    assert market.hourly_volumes() == []
    with pytest.raises(ValueError, match="hours must be >= 1"):
        market.hourly_volumes(hours=0)
