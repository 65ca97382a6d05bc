from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.market import replay_tape
from execdesk.market.replay import COLUMNS, ReplayMarket, TradeTape, infer_instrument

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HEADER = ",".join(COLUMNS)


def write_tape(
    path: Path,
    rows: list[tuple[float, str, str, str]],
    *,
    symbol: str = "BTCUSDT",
    header: str = HEADER,
    extra: str = "",
) -> Path:
    """rows: (seconds after T0, side, size, price) as the archive writes them."""
    lines = [header] + [
        f"{T0 + t:.4f},{symbol},{side},{size},{price},ZeroPlusTick,id-{i},1.0,{size},1.0{extra}"
        for i, (t, side, size, price) in enumerate(rows)
    ]
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def random_rows(n: int, seed: int = 5) -> list[tuple[float, str, str, str]]:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(0.4, n))
    ticks = 650_000 + np.cumsum(rng.choice([-1, 0, 1], n))
    buys = rng.random(n) < 0.5
    sizes = rng.integers(1, 500, n)
    return [
        (float(t), "Buy" if b else "Sell", f"{q / 1000:.3f}", f"{(k + b) / 10:.2f}")
        for t, b, q, k in zip(times, buys, sizes, ticks, strict=True)
    ]


@pytest.mark.parametrize("name", ["day.csv", "day.csv.gz"])
def test_archive_loads_into_sorted_columns_with_a_summary(tmp_path: Path, name: str) -> None:
    rows = [
        (1.0, "Sell", "0.100", "65000.00"),
        (2.0, "Buy", "0.250", "65000.10"),
        (3.5, "Buy", "1.000", "65000.30"),
    ]
    tape = TradeTape.load(write_tape(tmp_path / name, rows))

    assert tape.symbol == "BTCUSDT"
    assert tape.n_trades == len(tape) == 3
    assert (tape.start, tape.end) == (T0 + 1.0, T0 + 3.5)
    assert tape.ts.tolist() == [T0 + 1.0, T0 + 2.0, T0 + 3.5]
    assert tape.side.tolist() == [-1, 1, 1]
    assert tape.volume == pytest.approx(1.35)
    assert (tape.buy_volume, tape.sell_volume) == (pytest.approx(1.25), pytest.approx(0.1))
    summary = tape.summary()
    assert summary["trades"] == 3 and summary["volume"] == 1.35
    assert summary["vwap"] == pytest.approx((0.1 * 65000.0 + 0.25 * 65000.1 + 1.0 * 65000.3) / 1.35)
    assert tape.out_of_order == 0 and not tape.newest_first


def test_gzip_and_plain_files_give_the_same_tape(tmp_path: Path) -> None:
    rows = random_rows(300)
    plain = TradeTape.load(write_tape(tmp_path / "a.csv", rows))
    gzipped = TradeTape.load(write_tape(tmp_path / "a.csv.gz", rows))

    for column in ("ts", "price", "qty", "side"):
        assert np.array_equal(getattr(plain, column), getattr(gzipped, column))


def test_a_well_formed_tape_replays_deterministically(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "a.csv.gz", random_rows(2000)))
    one, two = ReplayMarket(tape), ReplayMarket(TradeTape.load(tmp_path / "a.csv.gz"))

    trades_one = [one.advance_to(tape.start + 10 * k) for k in range(1, 60)]
    trades_two = [two.advance_to(tape.start + 10 * k) for k in range(1, 60)]

    assert sum(map(len, trades_one)) > 100
    assert trades_one == trades_two
    assert one.snapshot() == two.snapshot()


def test_stepping_in_small_calls_returns_every_print_once(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "a.csv", random_rows(500)))
    coarse, fine = ReplayMarket(tape), ReplayMarket(tape)

    in_one = coarse.advance_to(tape.end)
    in_many = [t for k in range(1, 1000) for t in fine.advance_to(tape.start + 0.25 * k)]

    assert in_one == in_many
    assert [t.ts for t in in_one] == tape.ts[1:].tolist()  # the first print is history at the start
    assert coarse.advance_to(tape.end) == [] and coarse.advance_to(tape.start) == []


def test_chunked_parsing_matches_a_single_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_tape(tmp_path / "a.csv", random_rows(400))
    whole = TradeTape.load(path)
    monkeypatch.setattr(replay_tape, "_CHUNK_BYTES", 300)
    pieces = TradeTape.load(path)

    for column in ("ts", "price", "qty", "side"):
        assert np.array_equal(getattr(whole, column), getattr(pieces, column))


def test_blank_lines_and_windows_line_ends_are_read_like_clean_lines(tmp_path: Path) -> None:
    rows = random_rows(50)
    clean = TradeTape.load(write_tape(tmp_path / "clean.csv", rows))
    text = (tmp_path / "clean.csv").read_text().replace("\n", "\r\n")
    lines = text.split("\r\n")
    messy = tmp_path / "messy.csv"
    messy.write_text("\r\n".join(lines[:10] + [""] + lines[10:]) + "\r\n")

    tape = TradeTape.load(messy)

    for column in ("ts", "price", "qty", "side"):
        assert np.array_equal(getattr(clean, column), getattr(tape, column))


def test_out_of_order_rows_are_sorted_stably_and_counted(tmp_path: Path) -> None:
    rows = [
        (1.0, "Buy", "0.001", "100.0"),
        (3.0, "Buy", "0.002", "100.1"),
        (2.0, "Sell", "0.003", "100.0"),
        (2.0, "Sell", "0.004", "99.9"),
        (4.0, "Buy", "0.005", "100.2"),
    ]
    tape = TradeTape.load(write_tape(tmp_path / "a.csv", rows))

    assert tape.out_of_order == 2
    assert tape.ts.tolist() == [T0 + 1, T0 + 2, T0 + 2, T0 + 3, T0 + 4]
    assert tape.qty.tolist() == [0.001, 0.003, 0.004, 0.002, 0.005]  # equal stamps keep file order


def test_a_newest_first_file_is_read_in_time_order(tmp_path: Path) -> None:
    rows = random_rows(100)
    forward = TradeTape.load(write_tape(tmp_path / "forward.csv", rows))
    backward = TradeTape.load(write_tape(tmp_path / "backward.csv", rows[::-1]))

    assert backward.newest_first and backward.out_of_order == 0
    for column in ("ts", "price", "qty", "side"):
        assert np.array_equal(getattr(forward, column), getattr(backward, column))


def test_the_rpi_column_of_newer_archives_is_accepted(tmp_path: Path) -> None:
    path = write_tape(tmp_path / "a.csv", random_rows(20), header=HEADER + ",RPI", extra=",0")

    assert TradeTape.load(path).n_trades == 20


def test_symbol_filter_keeps_one_symbol_of_a_mixed_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER + "\n"
        f"{T0 + 1},BTCUSDT,Buy,0.010,65000.1,PlusTick,a,1,0.010,1\n"
        f"{T0 + 2},ETHUSDT,Sell,0.50,3400.05,MinusTick,b,1,0.50,1\n"
        f"{T0 + 3},BTCUSDT,Sell,0.020,65000.0,MinusTick,c,1,0.020,1\n"
    )

    btc = TradeTape.load(path, symbol="BTCUSDT")
    eth = TradeTape.load(path, symbol="ETHUSDT")

    assert (btc.symbol, btc.n_trades, btc.qty.tolist()) == ("BTCUSDT", 2, [0.01, 0.02])
    assert (eth.symbol, eth.n_trades, eth.price.tolist()) == ("ETHUSDT", 1, [3400.05])


def test_a_known_symbol_uses_bybit_rules(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "a.csv", random_rows(20)))

    assert infer_instrument(tape) == BTCUSDT
    assert ReplayMarket(tape).instrument == BTCUSDT


def test_an_unknown_symbol_gets_rules_read_off_the_tape(tmp_path: Path) -> None:
    # the archive pads prices to two decimals; the tick is the finest increment actually printed
    rows = [(1.0, "Buy", "12.5", "150.120"), (2.0, "Sell", "3", "150.10"), (3.0, "Buy", "0.7", "151")]
    tape = TradeTape.load(write_tape(tmp_path / "sol.csv", rows, symbol="SOLUSDT"))

    instrument = ReplayMarket(tape).instrument

    assert instrument.symbol == "SOLUSDT"
    assert (instrument.tick_size, instrument.qty_step) == (Decimal("0.01"), Decimal("0.1"))
    assert (instrument.min_qty, instrument.min_notional) == (Decimal("0.1"), Decimal("5"))
    assert (instrument.base_asset, instrument.quote_asset) == ("SOL", "USDT")


def test_an_instrument_for_another_symbol_is_refused(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "sol.csv", random_rows(5), symbol="SOLUSDT"))

    with pytest.raises(ValueError, match="instrument BTCUSDT does not match the SOLUSDT tape"):
        ReplayMarket(tape, instrument=BTCUSDT)


def test_a_clean_archive_never_needs_the_line_by_line_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the line-by-line reader ran on a clean file")

    monkeypatch.setattr(replay_tape._TapeReader, "_slow", refuse)
    monkeypatch.setattr(replay_tape, "_CHUNK_BYTES", 2000)

    assert TradeTape.load(write_tape(tmp_path / "a.csv.gz", random_rows(300))).n_trades == 300


def test_a_replay_can_start_later_in_the_tape(tmp_path: Path) -> None:
    tape = TradeTape.load(write_tape(tmp_path / "a.csv", random_rows(500)))
    middle = float(tape.ts[250])
    late, walked = ReplayMarket(tape, start_ts=middle), ReplayMarket(tape)
    walked.advance_to(middle)

    assert late.ts == middle
    assert late.snapshot() == walked.snapshot()
    assert late.advance_to(tape.end) == walked.advance_to(tape.end)
    with pytest.raises(ValueError, match="start_ts must be at or after the tape's first print"):
        ReplayMarket(tape, start_ts=tape.start - 1)
