from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from execdesk.market import replay_tape
from execdesk.market.replay import COLUMNS, TapeError, TradeTape

T0 = 1_767_225_600.0
HEADER = ",".join(COLUMNS)
GOOD = [
    f"{T0 + 1},BTCUSDT,Buy,0.010,65000.1,PlusTick,a,1,0.010,1",
    f"{T0 + 2},BTCUSDT,Sell,0.020,65000.0,MinusTick,b,1,0.020,1",
    f"{T0 + 3},BTCUSDT,Buy,0.030,65000.2,PlusTick,c,1,0.030,1",
]


def write(path: Path, lines: list[str]) -> Path:
    text = "\n".join(lines) + "\n" if lines else ""
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def with_row(line: str, at: int = 2) -> list[str]:
    """The header and the good rows with ``line`` as the row at index ``at`` (file line ``at + 2``)."""
    return [HEADER, *GOOD[:at], line, *GOOD[at:]]


def load_error(path: Path, **kwargs: str) -> TapeError:
    with pytest.raises(TapeError) as caught:
        TradeTape.load(path, **kwargs)
    return caught.value


@pytest.fixture(params=["tape.csv", "tape.csv.gz"])
def tape_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / request.param


def test_a_missing_header_column_is_named(tape_path: Path) -> None:
    header = HEADER.replace(",price,", ",")
    error = load_error(write(tape_path, [header, *[line.replace(",65000", "") for line in GOOD]]))

    assert (error.path, error.line, error.column) == (str(tape_path), 1, "price")
    assert "missing column(s) price" in str(error) and str(tape_path) in str(error)


def test_an_unexpected_header_column_is_named(tape_path: Path) -> None:
    error = load_error(write(tape_path, [HEADER + ",venue", *[line + ",x" for line in GOOD]]))

    assert (error.line, error.column) == (1, "venue")
    assert "unexpected column(s) venue" in str(error)


def test_an_empty_file_is_refused(tape_path: Path) -> None:
    error = load_error(write(tape_path, []))

    assert error.line == 1 and "empty file" in str(error)


def test_a_header_without_rows_is_an_empty_tape(tape_path: Path) -> None:
    error = load_error(write(tape_path, [HEADER]))

    assert error.line is None and "no trades" in str(error)


def test_a_row_with_the_wrong_number_of_fields_is_named(tape_path: Path) -> None:
    error = load_error(write(tape_path, with_row(f"{T0 + 2.5},BTCUSDT,Buy,0.010,65000.1,PlusTick,x,1,0.010")))

    assert error.line == 4 and "expected 10 fields as in the header, got 9" in str(error)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (f"{T0 + 2.5},BTCUSDT,Buy,abc,65000.1,PlusTick,x,1,1,1", "size", "'abc' is not a number"),
        (f"{T0 + 2.5},BTCUSDT,Buy,0.01,,PlusTick,x,1,1,1", "price", "'' is not a number"),
        ("soon,BTCUSDT,Buy,0.01,65000.1,PlusTick,x,1,1,1", "timestamp", "'soon' is not a number"),
        (f"{T0 + 2.5},BTCUSDT,Buy,0.01,inf,PlusTick,x,1,1,1", "price", "'inf' is not a finite number"),
        (f"{T0 + 2.5},BTCUSDT,Buy,nan,65000.1,PlusTick,x,1,1,1", "size", "'nan' is not a finite number"),
        (f"{T0 + 2.5},BTCUSDT,Buy,0,65000.1,PlusTick,x,1,1,1", "size", "'0' must be greater than 0"),
        (f"{T0 + 2.5},BTCUSDT,Sell,0.01,-5,PlusTick,x,1,1,1", "price", "'-5' must be greater than 0"),
        (f"{T0 + 2.5},BTCUSDT,Bid,0.01,65000.1,PlusTick,x,1,1,1", "side", "unknown side 'Bid'"),
        (f"{T0 + 2.5},BTCUSDT,buy,0.01,65000.1,PlusTick,x,1,1,1", "side", "unknown side 'buy'"),
        (
            f"{(T0 + 2.5) * 1000:.0f},BTCUSDT,Buy,0.01,65000.1,PlusTick,x,1,1,1",
            "timestamp",
            "looks like milliseconds",
        ),
        (f"{T0 + 2.5},,Buy,0.01,65000.1,PlusTick,x,1,1,1", "symbol", "empty symbol"),
    ],
)
def test_a_bad_value_is_named_with_its_line_and_column(
    tape_path: Path, row: str, column: str, message: str
) -> None:
    error = load_error(write(tape_path, with_row(row)))

    assert (error.line, error.column) == (4, column)
    assert message in str(error) and f"{tape_path}, line 4, column {column!r}" in str(error)


def test_several_symbols_without_a_filter_are_refused_at_the_first_other_one(tape_path: Path) -> None:
    error = load_error(write(tape_path, with_row(f"{T0 + 2.5},ETHUSDT,Buy,0.5,3400.1,PlusTick,x,1,1,1")))

    assert (error.line, error.column) == (4, "symbol")
    assert "a second symbol 'ETHUSDT' after 'BTCUSDT'" in str(error) and "symbol=" in str(error)


def test_a_filter_for_an_absent_symbol_says_what_the_file_holds(tape_path: Path) -> None:
    error = load_error(write(tape_path, [HEADER, *GOOD]), symbol="SOLUSDT")

    assert "no trades for SOLUSDT: the file holds BTCUSDT" in str(error)


def test_an_error_deep_in_a_large_file_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_tape, "_CHUNK_BYTES", 500)  # many chunks: line numbers must carry across them
    rows = [f"{T0 + k},BTCUSDT,Buy,0.010,65000.1,PlusTick,id{k},1,0.010,1" for k in range(1, 200)]
    rows[150] = rows[150].replace(",0.010,65000.1,", ",0.010,65000.1x,")

    error = load_error(write(tmp_path / "big.csv", [HEADER, *rows]))

    assert (error.line, error.column) == (152, "price")


def test_a_missing_or_corrupt_file_is_a_tape_error(tmp_path: Path) -> None:
    assert "cannot read the file" in str(load_error(tmp_path / "absent.csv"))
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(("\n".join([HEADER, *GOOD]) + "\n").encode())[:-30])
    assert "cannot read the file" in str(load_error(broken))


def test_a_long_row_is_caught_even_when_a_short_one_evens_out_the_field_count(tape_path: Path) -> None:
    lines = [HEADER, GOOD[0], GOOD[1] + ",extra", GOOD[2].rsplit(",", 1)[0]]

    error = load_error(write(tape_path, lines))

    assert error.line == 3 and "got 11" in str(error)
