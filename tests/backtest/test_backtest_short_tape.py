"""A websocket recording of a few minutes is enough to replay: `--warmup` down to a minute, the seeds the
tape holds, the calibration and latency printed."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.market.synthetic_tape import HEADER, T0, kyle_rows, write_rows


@pytest.fixture
def six_minutes(tmp_path: Path) -> Path:
    """Six minutes of BTCUSDT prints (about 4 a second) with a Kyle λ of 0.2 bps per BTC, gzipped as
    Bybit's archive is."""
    return write_rows(tmp_path / "BTCUSDT-ws.csv.gz", kyle_rows(lam=2e-5, seconds=360, seed=5))


def test_the_done_when_command_runs_on_a_six_minute_tape(six_minutes: Path, tmp_path: Path) -> None:
    out, stdout = tmp_path / "short.json", StringIO()
    call_command("backtest", "--tape", str(six_minutes), "--horizon", "120", "--interval", "5", "--warmup", "60",
                 "--json", str(out), stdout=stdout)
    text = stdout.getvalue()

    assert "2 order(s) of 120 s" in text  # 60 s + 2 × 120 s fit in 360 s; a third would not
    assert "warm-up 60 s" in text and "Kyle λ 0." in text and "bps per BTC [95 %" in text
    assert "warm-up 60 s is less than an hour" in text and "0 whole hour(s) of history (flat)" in text
    assert "latency 50.2 ms per order and per cancel (the desk's measured Bybit round trip" in text
    data = json.loads(out.read_text())
    rows = data["rows"]
    assert len(rows) == 20  # 5 strategies × 2 seeds × buy and sell
    # the JSON says what the runs assumed: warm-up, latency, and what the replay learnt from the warm-up
    assert data["suite"]["order"]["warmup_s"] == 60 and data["suite"]["order"]["latency_s"] == pytest.approx(0.0502)
    calibration = data["suite"]["replay_calibration"]
    assert calibration["until"] - calibration["start"] == pytest.approx(60, abs=1)
    assert calibration["kyle"]["lambda_per_unit"] > 0
    assert {(r["seed"], r["side"]) for r in rows} == {(1, "buy"), (2, "buy"), (1, "sell"), (2, "sell")}
    assert all(r["fill_rate"] > 0 for r in rows)
    first, second = ([r for r in rows if r["strategy"] == "twap" and r["seed"] == s and r["side"] == "buy"][0]
                     for s in (1, 2))
    assert first["decision_price"] != second["decision_price"]


def test_without_warmup_the_tape_gives_what_it_holds_beyond_the_orders(six_minutes: Path) -> None:
    stdout = StringIO()
    call_command("backtest", "--tape", str(six_minutes), "--strategies", "twap", "--horizon", "120",
                 "--interval", "15", "--workers", "1", stdout=stdout)
    assert "2 order(s) of 120 s" in stdout.getvalue()
    assert "warm-up 120 s, " in stdout.getvalue()  # 360 - 2 × 120
    assert "latency 50.2 ms" in stdout.getvalue()


def test_latency_is_configurable(six_minutes: Path) -> None:
    stdout = StringIO()
    call_command("backtest", "--tape", str(six_minutes), "--strategies", "twap", "--horizon", "120",
                 "--interval", "15", "--workers", "1", "--seeds", "1", "--latency-ms", "250", stdout=stdout)
    assert "latency 250 ms per order and per cancel\n" in stdout.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warmup", "30"], "--warmup must be at least 60 seconds, got 30"),
        (["--warmup", "200", "--seeds", "2"], "the tape holds 360 s, not 200 s of warm-up and 2 × 120 s of orders"),
        (["--horizon", "320"], "no room for a 320 s order after 60 s of warm-up"),
        (["--latency-ms", "-5"], "--latency-ms must be between 0 and 60000, got -5"),
    ],
)
def test_a_suite_the_tape_cannot_hold_is_refused(six_minutes: Path, args: list[str], message: str) -> None:
    base = ["--horizon", "120"] if "--horizon" not in args else []
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("×", "×")):
        call_command("backtest", "--tape", str(six_minutes), "--strategies", "twap", "--workers", "1",
                     *base, *args, stdout=StringIO())


def test_warmup_needs_a_tape() -> None:
    with pytest.raises(CommandError, match="--warmup is the history before the order on a tape"):
        call_command("backtest", "--warmup", "60", "--strategies", "twap", stdout=StringIO())


def test_a_bad_line_in_the_tape_is_named(tmp_path: Path) -> None:
    rows = kyle_rows(lam=2e-5, seconds=360, seed=5)
    path = write_rows(tmp_path / "bad.csv", rows)
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(",BTCUSDT,", ",BTCUSDT,").rsplit(",", 6)[0] + ",abc,ZeroPlusTick,x,1,1,1"
    path.write_text("\n".join(lines) + "\n")
    assert lines[0] == HEADER and T0 > 0
    with pytest.raises(CommandError, match=r"bad.csv, line 5, column 'price': 'abc' is not a number"):
        call_command("backtest", "--tape", str(path), "--horizon", "120", "--warmup", "60", stdout=StringIO())
