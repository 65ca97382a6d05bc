"""Bybit's public trade archive as numpy columns: :class:`TradeTape`, the :class:`TapeError` a malformed file
raises, and the trading rules of the tape's symbol (:func:`infer_instrument`).

The archive (``public.bybit.com/trading/<SYMBOL>/<SYMBOL><date>.csv.gz``) holds every public print:
``timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional``
(newer files add an ``RPI`` flag), the timestamp in fractional Unix seconds and ``side`` the aggressor.
:meth:`TradeTape.load` reads it, plain or gzipped, in pieces; a :class:`TapeError` names the file, line
and column of the first problem. :mod:`execdesk.market.replay` replays a tape as a market.
"""

from __future__ import annotations

import gzip
import io
import logging
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.orders import Side

COLUMNS = (
    "timestamp",
    "symbol",
    "side",
    "size",
    "price",
    "tickDirection",
    "trdMatchID",
    "grossValue",
    "homeNotional",
    "foreignNotional",
)
OPTIONAL_COLUMNS = ("RPI",)  # Bybit's Retail Price Improvement flag, present in newer files
SIDES = {"Buy": 1, "Sell": -1}
MAX_SECONDS_TS = 1e11  # a larger "timestamp" is in milliseconds (as seconds it is past the year 5000)

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 16 << 20  # parsed in pieces: a day of BTCUSDT is never held whole as text
_FAST_DTYPE = np.dtype([("ts", "f8"), ("symbol", "S64"), ("side", "S8"), ("size", "f8"), ("price", "f8")])


class TapeError(ValueError):
    """The file is not a usable Bybit trade archive; says where (file, line, column) and why."""

    def __init__(
        self, path: str, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


# ---------------------------------------------------------------------- the tape


@dataclass(frozen=True, eq=False)
class TradeTape:
    """One symbol's public prints, sorted by time, as numpy columns (``side``: +1 buy, −1 sell aggressor).

    ``out_of_order`` counts rows of the file that came after a later timestamp; a stable sort moves
    them into place and a warning is logged, rather than the file refused: once sorted, a late row
    changes nothing the replay models. A file written newest-first throughout is read in reverse and
    flagged ``newest_first`` (it is not counted as out of order).
    """

    path: str
    symbol: str
    ts: np.ndarray = field(repr=False)
    price: np.ndarray = field(repr=False)
    qty: np.ndarray = field(repr=False)
    side: np.ndarray = field(repr=False)
    price_decimals: int
    qty_decimals: int
    out_of_order: int = 0
    newest_first: bool = False
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path, *, symbol: str | None = None) -> TradeTape:
        """Read a ``.csv`` or ``.csv.gz`` archive (gzip is recognised by content); ``symbol`` keeps one
        symbol of a file that holds several. Raises :class:`TapeError` on anything malformed."""
        return _TapeReader(Path(path), symbol).read()

    # -------------------------------------------------------------- summary

    def __len__(self) -> int:
        return int(self.ts.size)

    @property
    def n_trades(self) -> int:
        return int(self.ts.size)

    @property
    def start(self) -> float:
        return float(self.ts[0])

    @property
    def end(self) -> float:
        return float(self.ts[-1])

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    @property
    def volume(self) -> float:
        return float(self.cum_qty[-1])

    @property
    def buy_volume(self) -> float:
        return float(self.qty[self.side > 0].sum())

    @property
    def sell_volume(self) -> float:
        return float(self.qty[self.side < 0].sum())

    @property
    def notional(self) -> float:
        return float(np.dot(self.qty, self.price))

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "symbol": self.symbol,
            "start": self.start,
            "end": self.end,
            "trades": self.n_trades,
            "volume": round(self.volume, self.qty_decimals),
            "buy_volume": round(self.buy_volume, self.qty_decimals),
            "sell_volume": round(self.sell_volume, self.qty_decimals),
            "vwap": self.notional / self.volume,
            "out_of_order": self.out_of_order,
            "newest_first": self.newest_first,
        }

    # -------------------------------------------------------------- derived columns (computed once, shared)

    @cached_property
    def cum_qty(self) -> np.ndarray:
        """``cum_qty[i]`` is the volume of the first ``i`` prints (length n + 1)."""
        return np.concatenate(([0.0], np.cumsum(self.qty)))

    @cached_property
    def last_buy(self) -> np.ndarray:
        """Index of the latest buy-aggressor print at or before each row, −1 before the first."""
        return _last_index(self.side > 0)

    @cached_property
    def last_sell(self) -> np.ndarray:
        return _last_index(self.side < 0)

    @cached_property
    def side_names(self) -> np.ndarray:
        """``"buy"``/``"sell"`` per row as shared str objects, so a slice's ``tolist()`` copies nothing."""
        names = np.array([Side.SELL.value, Side.BUY.value], dtype=object)
        return names[(self.side > 0).astype(np.intp)]

    @cached_property
    def median_size(self) -> float:
        return float(np.median(self.qty))

    @cached_property
    def cum_signed_qty(self) -> np.ndarray:
        """``cum_signed_qty[i]``: buy minus sell aggressor volume of the first ``i`` prints (length n + 1)."""
        return np.concatenate(([0.0], np.cumsum(self.qty * self.side)))

    def bounce_spreads(self, window_s: float) -> np.ndarray:
        """Buy price minus sell price over consecutive prints of opposite aggressors at most ``window_s``
        apart, where positive: what the tape shows of the quoted spread."""
        key = ("bounces", window_s)
        if key not in self._cache:
            flips = (self.side[1:] != self.side[:-1]) & (np.diff(self.ts) <= window_s)
            spread = np.diff(self.price) * self.side[1:]  # the buy's price minus the sell's either way round
            self._cache[key] = spread[flips & (spread > 0)]
        result: np.ndarray = self._cache[key]
        return result

    def bounce_quantiles(self, window_s: float, quantile: float) -> tuple[float, float] | None:
        """(median, ``quantile``) of the bounce spreads in price units; None when the tape shows none."""
        key = ("bounce_q", window_s, quantile)
        if key not in self._cache:
            spreads = self.bounce_spreads(window_s)
            self._cache[key] = (
                None
                if spreads.size == 0
                else (float(np.median(spreads)), float(np.quantile(spreads, quantile)))
            )
        result: tuple[float, float] | None = self._cache[key]
        return result


def _last_index(mask: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.where(mask, np.arange(mask.size), -1))


def _decimals(values: np.ndarray, limit: int = 12) -> int:
    """The fewest decimals that write every value exactly: the finest increment the tape used."""
    for decimals in range(limit + 1):
        scaled = values * 10.0**decimals
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return decimals
    return limit


@dataclass
class _Columns:
    ts: np.ndarray
    side: np.ndarray  # int8
    qty: np.ndarray
    price: np.ndarray

    def __getitem__(self, rows: np.ndarray) -> _Columns:
        return _Columns(ts=self.ts[rows], side=self.side[rows], qty=self.qty[rows], price=self.price[rows])


class _TapeReader:
    """Parses the file in chunks: numpy's C reader first, a line-by-line reader to name the first
    error's line and column (and to read the rare file numpy's reader does not take, blank lines...)."""

    def __init__(self, path: Path, symbol: str | None) -> None:
        self.path = path
        self.name = str(path)
        self.wanted = symbol
        self.first_symbol: str | None = symbol
        self.other_symbols: set[str] = set()
        self.positions: dict[str, int] = {}
        self.n_columns = 0

    def read(self) -> TradeTape:
        try:
            stream = _open(self.path)
        except OSError as exc:
            raise TapeError(self.name, f"cannot read the file: {exc.strerror or exc}") from exc
        with stream:
            try:
                self._header(stream.readline())
                parts = [self._chunk(*piece) for piece in _chunks(stream, first_line=2)]
            except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip stream
                raise TapeError(self.name, f"cannot read the file: {exc}") from exc
        return self._tape([part for part in parts if part.ts.size])

    # -------------------------------------------------------------- header

    def _header(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        expected = ",".join(COLUMNS)
        if not text:
            raise TapeError(self.name, f"empty file: expected the header {expected}", line=1)
        names = [name.strip() for name in text.split(",")]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise TapeError(
                self.name,
                f"missing column(s) {', '.join(missing)}: Bybit's trade archive header is {expected}",
                line=1,
                column=missing[0],
            )
        extra = [n for n in names if n not in COLUMNS and n not in OPTIONAL_COLUMNS]
        if extra:
            raise TapeError(
                self.name,
                f"unexpected column(s) {', '.join(extra)}: Bybit's trade archive header is {expected} "
                f"(optionally followed by {', '.join(OPTIONAL_COLUMNS)})",
                line=1,
                column=extra[0],
            )
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise TapeError(
                self.name, f"repeated column(s) {', '.join(repeated)}", line=1, column=repeated[0]
            )
        self.positions = {name: i for i, name in enumerate(names)}
        self.n_columns = len(names)

    # -------------------------------------------------------------- rows

    def _chunk(self, chunk: bytes, first_line: int, lines: int) -> _Columns:
        parsed = self._fast(chunk, lines)
        if parsed is None:
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = first_line + chunk.count(b"\n", 0, exc.start)
                raise TapeError(self.name, "not UTF-8 text", line=line) from exc
            parsed = self._slow(text, first_line)
        columns, symbols = parsed
        if self.wanted is None:
            return columns
        keep = symbols == self.wanted.encode()
        if keep.all():
            return columns
        self.other_symbols.update(s.decode() for s in np.unique(symbols[~keep]))
        return columns[keep]

    def _fast(self, chunk: bytes, lines: int) -> tuple[_Columns, np.ndarray] | None:
        """numpy's reader on a chunk whose every line has the right number of fields; None when anything
        looks wrong, so the line-by-line reader can say what."""
        raw = np.frombuffer(chunk, dtype=np.uint8)
        commas_before_line_end = np.searchsorted(
            np.flatnonzero(raw == ord(",")), np.flatnonzero(raw == ord("\n"))
        )
        if not (np.diff(commas_before_line_end, prepend=0) == self.n_columns - 1).all():
            return None
        p = self.positions
        usecols = (p["timestamp"], p["symbol"], p["side"], p["size"], p["price"])
        try:  # a UnicodeDecodeError is a ValueError too
            rows = np.loadtxt(
                io.BytesIO(chunk),
                delimiter=",",
                usecols=usecols,
                dtype=_FAST_DTYPE,
                comments=None,
                ndmin=1,
                encoding="utf-8",
            )
        except ValueError:
            return None
        if rows.size != lines:
            return None
        ts, qty, price, side, symbol = rows["ts"], rows["size"], rows["price"], rows["side"], rows["symbol"]
        ok = (
            np.isfinite(ts).all()
            and np.isfinite(qty).all()
            and np.isfinite(price).all()
            and bool((ts > 0).all() and (ts < MAX_SECONDS_TS).all())
            and bool((qty > 0).all() and (price > 0).all())
            and bool(((side == b"Buy") | (side == b"Sell")).all())
            and bool((symbol != b"").all())
        )
        if not ok:
            return None
        if self.first_symbol is None:
            self.first_symbol = symbol[0].decode()
        if self.wanted is None and not (symbol == self.first_symbol.encode()).all():
            return None
        columns = _Columns(
            ts=ts.copy(),
            side=np.where(side == b"Buy", 1, -1).astype(np.int8),
            qty=qty.copy(),
            price=price.copy(),
        )
        return columns, symbol.copy() if self.wanted is not None else symbol[:0]

    def _slow(self, text: str, first_line: int) -> tuple[_Columns, np.ndarray]:
        p = self.positions
        ts: list[float] = []
        symbols: list[bytes] = []
        sides: list[int] = []
        qty: list[float] = []
        price: list[float] = []
        for offset, raw_line in enumerate(text.split("\n")[:-1]):
            line = first_line + offset
            if not raw_line.strip():
                continue
            fields = [f.strip() for f in raw_line.rstrip("\r").split(",")]
            if len(fields) != self.n_columns:
                raise TapeError(
                    self.name,
                    f"expected {self.n_columns} fields as in the header, got {len(fields)}",
                    line=line,
                )
            stamp = self._number(fields[p["timestamp"]], "timestamp", line)
            if stamp >= MAX_SECONDS_TS:
                raise TapeError(
                    self.name,
                    f"{fields[p['timestamp']]!r} looks like milliseconds: the archive's timestamps are "
                    "fractional seconds",
                    line=line,
                    column="timestamp",
                )
            symbol = fields[p["symbol"]]
            if not symbol:
                raise TapeError(self.name, "empty symbol", line=line, column="symbol")
            if self.first_symbol is None:
                self.first_symbol = symbol
            if self.wanted is None and symbol != self.first_symbol:
                raise TapeError(
                    self.name,
                    f"a second symbol {symbol!r} after {self.first_symbol!r}: a tape replays one symbol, "
                    "pass symbol= to choose it",
                    line=line,
                    column="symbol",
                )
            side = fields[p["side"]]
            if side not in SIDES:
                raise TapeError(
                    self.name, f"unknown side {side!r}: expected Buy or Sell", line=line, column="side"
                )
            ts.append(stamp)
            symbols.append(symbol.encode())
            sides.append(SIDES[side])
            qty.append(self._number(fields[p["size"]], "size", line))
            price.append(self._number(fields[p["price"]], "price", line))
        columns = _Columns(
            ts=np.array(ts, dtype=np.float64),
            side=np.array(sides, dtype=np.int8),
            qty=np.array(qty, dtype=np.float64),
            price=np.array(price, dtype=np.float64),
        )
        return columns, np.array(symbols, dtype="S64")

    def _number(self, raw: str, column: str, line: int) -> float:
        try:
            if "_" in raw:  # Python's float() takes "1_000"; a CSV number does not
                raise ValueError(raw)
            value = float(raw)
        except ValueError:
            raise TapeError(self.name, f"{raw!r} is not a number", line=line, column=column) from None
        if not math.isfinite(value):
            raise TapeError(self.name, f"{raw!r} is not a finite number", line=line, column=column)
        if value <= 0:
            raise TapeError(self.name, f"{raw!r} must be greater than 0", line=line, column=column)
        return value

    # -------------------------------------------------------------- assembly

    def _tape(self, parts: list[_Columns]) -> TradeTape:
        if not parts:
            if self.wanted is not None and self.other_symbols:
                held = ", ".join(sorted(self.other_symbols))
                raise TapeError(self.name, f"no trades for {self.wanted}: the file holds {held}")
            raise TapeError(self.name, "no trades: the file holds only its header")
        ts = np.concatenate([p.ts for p in parts])
        side = np.concatenate([p.side for p in parts])
        qty = np.concatenate([p.qty for p in parts])
        price = np.concatenate([p.price for p in parts])
        steps = np.diff(ts)
        newest_first = bool(steps.size and (steps <= 0).all() and ts[0] > ts[-1])
        out_of_order = 0
        if newest_first:
            ts, side, qty, price = ts[::-1], side[::-1], qty[::-1], price[::-1]
        elif (steps < 0).any():
            out_of_order = int((ts[1:] < np.maximum.accumulate(ts)[:-1]).sum())
            order = np.argsort(ts, kind="stable")
            ts, side, qty, price = ts[order], side[order], qty[order], price[order]
            logger.warning(
                "%s: %d rows came after a later timestamp; sorted by time", self.name, out_of_order
            )
        symbol = self.wanted or self.first_symbol
        assert symbol is not None
        ts, price, qty, side = (np.ascontiguousarray(c) for c in (ts, price, qty, side))
        for column in (ts, price, qty, side):
            column.flags.writeable = False  # a tape is shared by every market replaying it
        return TradeTape(
            path=self.name,
            symbol=symbol,
            ts=ts,
            price=price,
            qty=qty,
            side=side,
            price_decimals=_decimals(price),
            qty_decimals=_decimals(qty),
            out_of_order=out_of_order,
            newest_first=newest_first,
        )


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def _chunks(stream: io.BufferedIOBase, *, first_line: int) -> Iterator[tuple[bytes, int, int]]:
    """Whole lines in blocks of about ``_CHUNK_BYTES``: (block, file line it starts at, lines in it)."""
    rest = b""
    line = first_line
    while block := stream.read(_CHUNK_BYTES):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest, block = block[cut:], block[:cut]
        if block:
            lines = block.count(b"\n")
            yield block, line, lines
            line += lines
    if rest.strip():
        yield rest + b"\n", line, 1


# ---------------------------------------------------------------------- the instrument


def infer_instrument(tape: TradeTape) -> Instrument:
    """Bybit's rules for a symbol we know; otherwise rules read off the tape: the tick from the prices'
    decimals, the step from the sizes' (the finest power of ten the tape printed), minimum quantity one
    step, minimum notional 5.

    A power of ten is finer than a real tick of 0.5 or 0.25, and a short tape that never used its last
    decimal shows one too coarse: pass ``instrument=`` to ReplayMarket when the exact rules matter.
    """
    known = SIM_INSTRUMENTS.get(tape.symbol)
    if known is not None:
        return known
    tick = Decimal(1).scaleb(-tape.price_decimals)
    step = Decimal(1).scaleb(-tape.qty_decimals)
    base, quote = _split_symbol(tape.symbol)
    return Instrument(
        symbol=tape.symbol,
        tick_size=tick,
        qty_step=step,
        min_qty=step,
        min_notional=Decimal(5),
        base_asset=base,
        quote_asset=quote,
    )


def _split_symbol(symbol: str) -> tuple[str, str]:
    """Base and quote asset from Bybit's naming (``BTCUSDT``, ``ETHUSDC``, ``BTCUSD``, USDC ``BTCPERP``)."""
    for suffix, quote in (("USDT", "USDT"), ("USDC", "USDC"), ("PERP", "USDC"), ("USD", "USD")):
        if symbol.endswith(suffix) and len(symbol) > len(suffix):
            return symbol[: -len(suffix)], quote
    return symbol, "USDT"  # an unfamiliar name: assume Bybit's usual USDT quote
