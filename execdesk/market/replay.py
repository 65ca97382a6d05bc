"""Replay of Bybit's public trade archive as a market we can trade against.

The archive (``public.bybit.com/trading/<SYMBOL>/<SYMBOL><date>.csv.gz``) holds every public print:
``timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional``
(newer files add an ``RPI`` flag), the timestamp in fractional Unix seconds and ``side`` the aggressor.
:class:`TradeTape` loads it into numpy columns; :class:`ReplayMarket` replays it through the same
interface as the simulator (:class:`execdesk.market.base.MatchableMarket`), so the paper venue and the
backtest run on it unchanged.

**The order book is not in the archive.** ReplayMarket shows an explicit approximation of it
(docs/replay.md gives the reasoning and the limits):

* *Touch.* The ask is the last buy-aggressor print, the bid the last sell-aggressor print. The spread
  is kept between ``min_spread_ticks`` and a maximum read from the tape: the ``max_spread_quantile``
  of its bid/ask bounces (consecutive prints of opposite aggressors within ``bounce_window_s``, buy
  price minus sell price). When the two prints disagree with those bounds, the more recent print
  stands and the other side is clamped. When one side has not printed for ``side_stale_s`` longer
  than the other, it is placed at the tape's typical (median) bounce from the side that did.
* *Depth.* Both sides hold the same sizes, scaled by the traded volume per minute over the last
  ``depth_window_s``: the touch ``touch_share`` of it, every deeper level (one tick apart, ``levels``
  deep) ``level_share`` of it, and never less than the tape's median print size.
* *Our trades.* An aggressive order walks that ladder and depletes it; depleted quantity refills with
  ``refill_half_life_s``. Each fill also moves the market: a permanent offset (linear,
  ``permanent_impact_per_unit``, by default ``permanent_gamma * sigma_daily / ADV`` of the tape, the
  permanent term of the desk's Almgren–Chriss impact model) and a transient displacement
  (``transient_impact_per_unit``, the permanent coefficient by default) that halves every
  ``transient_half_life_s``. The offset is added to every price the tape shows after our trade: the
  touch, the ladder and the prints ``advance_to`` returns.
* *Passive fills* come only from the tape's prints at or through a resting price, beyond the queue
  ahead (the paper venue's queue model, fed with ``advance_to``'s trades): nothing fills for free.

No randomness is involved: the same tape and the same calls give the same market.
"""

from __future__ import annotations

import gzip
import io
import logging
import math
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.market import Level, MarketSnapshot, Trade
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
STATE_VERSION = 1
MAX_SECONDS_TS = 1e11  # a larger "timestamp" is in milliseconds (as seconds it is past the year 5000)

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 16 << 20  # parsed in pieces: a day of BTCUSDT is never held whole as text
_FAST_DTYPE = np.dtype([("ts", "f8"), ("symbol", "S64"), ("side", "S8"), ("size", "f8"), ("price", "f8")])
_LOT_EPS = 1e-9
_SECONDS_PER_DAY = 86_400.0


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
    def sigma_daily(self) -> float:
        """Daily volatility of log returns from the last price of each whole minute (24-h days)."""
        first = math.ceil(self.start / 60) * 60
        grid = np.arange(first, self.end + 1e-9, 60.0)
        if grid.size < 3:
            return 0.0
        prices = self.price[np.searchsorted(self.ts, grid, side="right") - 1]
        return float(np.std(np.diff(np.log(prices)), ddof=1) * math.sqrt(_SECONDS_PER_DAY / 60))

    @cached_property
    def adv(self) -> float:
        """Average daily volume: the tape's volume scaled to 24 hours (at least a minute of tape)."""
        return self.volume * _SECONDS_PER_DAY / max(self.duration_s, 60.0)

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


# ---------------------------------------------------------------------- the market


@dataclass(frozen=True)
class ReplayParams:
    """The book approximation and our market impact; module docstring and docs/replay.md explain each."""

    levels: int = 50
    min_spread_ticks: int = 1
    max_spread_quantile: float = 0.95
    bounce_window_s: float = 1.0
    side_stale_s: float = 30.0
    depth_window_s: float = 300.0
    touch_share: float = 0.10  # touch size: 10 % of a minute's traded volume
    level_share: float = 0.02  # each deeper level: 2 % of it
    refill_half_life_s: float = 5.0
    permanent_impact_per_unit: float | None = None  # fraction of price per base unit; None: from the tape
    permanent_gamma: float = 0.314  # Almgren et al. (2005), as the desk's AlmgrenChrissImpact
    transient_impact_per_unit: float | None = None  # None: the permanent coefficient
    transient_half_life_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("levels", "min_spread_ticks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ReplayParams.{name} must be a whole number >= 1, got {value!r}")
        if not 0.5 <= self.max_spread_quantile <= 1:
            raise ValueError(
                f"ReplayParams.max_spread_quantile must be in [0.5, 1], got {self.max_spread_quantile!r}"
            )
        for name in (
            "bounce_window_s",
            "side_stale_s",
            "depth_window_s",
            "refill_half_life_s",
            "transient_half_life_s",
            "touch_share",
            "level_share",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"ReplayParams.{name} must be a finite number > 0, got {value!r}")
        for name in ("permanent_impact_per_unit", "transient_impact_per_unit", "permanent_gamma"):
            value = getattr(self, name)
            if value is None and name != "permanent_gamma":
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"ReplayParams.{name} must be a finite number >= 0, got {value!r}")


def _digits(increment: Decimal) -> int:
    exponent = increment.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


class ReplayMarket:
    """A :class:`TradeTape` replayed as a market; see the module docstring for the book model.

    The clock starts at ``start_ts`` (default: the first print); prints at or before it are history.
    """

    def __init__(
        self,
        tape: TradeTape,
        *,
        instrument: Instrument | None = None,
        params: ReplayParams | None = None,
        start_ts: float | None = None,
    ) -> None:
        self.tape = tape
        self.params = params = params or ReplayParams()
        self.instrument = instrument or infer_instrument(tape)
        if self.instrument.symbol != tape.symbol:
            raise ValueError(f"instrument {self.instrument.symbol} does not match the {tape.symbol} tape")
        self.symbol = tape.symbol
        self._tick = float(self.instrument.tick_size)
        self._step = float(self.instrument.qty_step)
        self._price_digits = _digits(self.instrument.tick_size)
        self._qty_digits = _digits(self.instrument.qty_step)
        self._typical_spread, self._max_spread = self._spread_bounds()
        self._floor_lots = max(1, self._lots(tape.median_size))
        self.permanent_impact_per_unit = (
            params.permanent_impact_per_unit
            if params.permanent_impact_per_unit is not None
            else params.permanent_gamma * tape.sigma_daily / tape.adv
        )
        self.transient_impact_per_unit = (
            params.transient_impact_per_unit
            if params.transient_impact_per_unit is not None
            else self.permanent_impact_per_unit
        )
        start = tape.start if start_ts is None else float(start_ts)
        if not (math.isfinite(start) and start >= tape.start):
            raise ValueError(
                f"start_ts must be at or after the tape's first print {tape.start}, got {start_ts!r}"
            )
        self._now = start
        self._cursor = int(np.searchsorted(tape.ts, start, side="right"))  # prints at or before now
        self._permanent = 0.0  # price offset from our trades, price units
        self._transient = 0.0  # transient displacement as of _transient_ts
        self._transient_ts = start
        self._events: tuple[list[float], list[float], list[float]] = ([], [], [])  # ts, permanent, transient
        self._depletion = {Side.BUY: [0.0] * params.levels, Side.SELL: [0.0] * params.levels}  # lots
        self._depletion_ts = start
        self._touch_memo: tuple[tuple[float, int], tuple[int, int]] | None = None
        self._size_memo: tuple[float, tuple[int, int]] | None = None

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state; the tape itself is referred to by path and symbol, not copied."""
        i = self.instrument
        return {
            "v": STATE_VERSION,
            "tape": self.tape.path,
            "symbol": self.symbol,
            "params": asdict(self.params),
            "instrument": {
                "tick_size": str(i.tick_size),
                "qty_step": str(i.qty_step),
                "min_qty": str(i.min_qty),
                "min_notional": str(i.min_notional),
                "base_asset": i.base_asset,
                "quote_asset": i.quote_asset,
            },
            "now": self._now,
            "permanent": self._permanent,
            "transient": self._transient,
            "transient_ts": self._transient_ts,
            "events": [list(column) for column in self._events],
            "bid_depletion": list(self._depletion[Side.BUY]),
            "ask_depletion": list(self._depletion[Side.SELL]),
            "depletion_ts": self._depletion_ts,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any], *, tape: TradeTape | None = None) -> ReplayMarket:
        """The market ``to_state`` described; ``tape`` saves reloading a tape the caller holds."""
        if d.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported ReplayMarket state version {d.get('v')!r}")
        tape = tape or TradeTape.load(d["tape"], symbol=d["symbol"])
        if tape.symbol != d["symbol"]:
            raise ValueError(f"the state is of a {d['symbol']} replay, the tape given holds {tape.symbol}")
        rules = d["instrument"]
        instrument = Instrument(
            symbol=d["symbol"],
            tick_size=Decimal(rules["tick_size"]),
            qty_step=Decimal(rules["qty_step"]),
            min_qty=Decimal(rules["min_qty"]),
            min_notional=Decimal(rules["min_notional"]),
            base_asset=rules["base_asset"],
            quote_asset=rules["quote_asset"],
        )
        market = cls(
            tape, instrument=instrument, params=ReplayParams(**d["params"]), start_ts=float(d["now"])
        )
        market._permanent = float(d["permanent"])
        market._transient = float(d["transient"])
        market._transient_ts = float(d["transient_ts"])
        event_ts, permanent, transient = d["events"]
        market._events = (
            [float(x) for x in event_ts],
            [float(x) for x in permanent],
            [float(x) for x in transient],
        )
        market._depletion = {
            Side.BUY: [float(x) for x in d["bid_depletion"]],
            Side.SELL: [float(x) for x in d["ask_depletion"]],
        }
        market._depletion_ts = float(d["depletion_ts"])
        return market

    # ------------------------------------------------------------------ reading

    @property
    def ts(self) -> float:
        return self._now

    @property
    def tick(self) -> float:
        return self._tick

    @property
    def qty_step(self) -> float:
        return self._step

    @property
    def best_bid(self) -> float:
        return self._touch_price(Side.BUY)

    @property
    def best_ask(self) -> float:
        return self._touch_price(Side.SELL)

    @property
    def mid(self) -> float:
        """Mid of the visible touch, so our depletion of the book shows in it."""
        return (self.best_bid + self.best_ask) / 2

    @property
    def impact_offset(self) -> float:
        """What our trades add to every price the tape shows now (permanent plus decayed transient)."""
        return self._offset_now(self._now)

    @property
    def spread_bounds_ticks(self) -> tuple[int, int]:
        """(typical, maximum) spread in ticks, read from the tape's bid/ask bounces."""
        return self._typical_spread, self._max_spread

    def book(self, levels: int = 50) -> tuple[list[Level], list[Level]]:
        """Bid and ask ladders, best first; levels our trades emptied are skipped, deeper ones shown."""
        self._refill()
        return self._ladder(Side.BUY, levels), self._ladder(Side.SELL, levels)

    def depletion(self, book_side: Side) -> tuple[float, ...]:
        """Outstanding depleted quantity per level (``Side.BUY`` = bids), index 0 at the touch."""
        self._refill()
        return tuple(round(lots * self._step, self._qty_digits) for lots in self._depletion[book_side])

    def snapshot(self) -> MarketSnapshot:
        bids, asks = self.book(5)
        tape, now = self.tape, self._now
        recent = slice(max(0, self._cursor - 10), self._cursor)
        return MarketSnapshot(
            symbol=self.symbol,
            ts=now,
            mid=round((bids[0].price + asks[0].price) / 2, self._price_digits + 1),
            best_bid=bids[0].price,
            best_ask=asks[0].price,
            bids=tuple(bids),
            asks=tuple(asks),
            last_trades=tuple(self._trades(recent, self._offsets_at(tape.ts[recent], prints=True))),
            volume_1m=round(self._volume_since(now - 60), self._qty_digits),
            volume_1h=round(self._volume_since(now - 3600), self._qty_digits),
            volatility_1h=self._volatility_1h(),
            funding_rate=0.0,
            oi_change_1h=0.0,
            stale=now > tape.end,
            source="replay",
            extra={
                "unavailable": ["funding_rate", "oi_change_1h"],
                "note": "Bybit's trade archive holds neither funding nor open interest: both read 0",
                "book": "approximated from the prints (docs/replay.md)",
                "impact_offset": self.impact_offset,
                "tape_end": tape.end,
            },
        )

    def hourly_volumes(self, hours: int = 24) -> list[tuple[float, float]]:
        """``(hour_start_ts, volume)`` of up to ``hours`` whole UTC hours before now, oldest first, as
        ``VolumeCurve.from_hourly_volumes`` takes them. Only hours the tape covers entirely count: an
        hour starting before the minute of the first print would show a fraction of its volume."""
        if hours < 1:
            raise ValueError(f"hours must be >= 1, got {hours!r}")
        last_end = math.floor(self._now / 3600) * 3600
        covered_from = math.floor(self.tape.start / 60) * 60
        starts = [last_end - 3600 * k for k in range(hours, 0, -1)]
        starts = [s for s in starts if s >= covered_from]
        if not starts:
            return []
        edges = np.array(starts + [starts[-1] + 3600], dtype=np.float64)
        cum = self.tape.cum_qty[np.searchsorted(self.tape.ts, edges, side="left")]
        volumes = np.round(np.diff(cum), self._qty_digits)
        return [(float(s), float(v)) for s, v in zip(starts, volumes.tolist(), strict=True)]

    # ------------------------------------------------------------------ moving

    def advance_to(self, ts: float) -> list[Trade]:
        """The tape's prints after the current time up to and including ``ts``, shifted by our impact."""
        if not ts > self._now:
            return []
        end = int(np.searchsorted(self.tape.ts, ts, side="right"))
        window = slice(self._cursor, end)
        self._now, self._cursor = float(ts), end
        if window.start == end:
            return []
        offsets = self._offsets_after_last_trade(self.tape.ts[window]) if self._events[0] else None
        return self._trades(window, offsets)

    def take(
        self, side: Side, qty: float, *, limit_price: float | None = None, impact: bool = True
    ) -> list[tuple[float, float]]:
        """Our marketable order walks the opposite ladder from the touch (at most ``levels`` deep).

        ``limit_price`` stops the walk; with ``impact`` the fill moves the market (permanent offset and
        transient displacement); the paper venue passes ``impact=False`` for maker fills of resting
        orders the book walked across.
        """
        self._refill()
        book_side = Side.SELL if side is Side.BUY else Side.BUY
        depleted = self._depletion[book_side]
        lots = self._lots(qty)
        touch_lots, level_lots = self._level_sizes()
        fills: list[tuple[float, float]] = []
        filled = 0
        for i in range(self.params.levels):
            if lots <= 0:
                break
            price = self._level_price(book_side, i)
            if limit_price is not None and (price - limit_price) * side.sign > self._tick / 2:
                break
            base = touch_lots if i == 0 else level_lots
            taken = min(lots, math.floor(base - depleted[i] + _LOT_EPS))
            if taken <= 0:
                continue
            lots -= taken
            filled += taken
            depleted[i] += taken
            fills.append((price, round(taken * self._step, self._qty_digits)))
        if impact and filled:
            self._apply_impact(side.sign * filled * self._step)
        return fills

    def absorb_passive_fill(self, side: Side, qty: float) -> None:
        """A resting order of ours was filled: the replayed prices move by our permanent impact (no
        transient part: we took no liquidity)."""
        if qty > 0:
            self._apply_impact(side.sign * qty, transient=False)

    # ------------------------------------------------------------------ internals: impact

    def _apply_impact(self, signed_qty: float, *, transient: bool = True) -> None:
        now = self._now
        mid = self._model_mid_now()
        self._transient = self._offset_now(now) - self._permanent
        self._transient_ts = now
        self._permanent += self.permanent_impact_per_unit * signed_qty * mid
        if transient:
            self._transient += self.transient_impact_per_unit * signed_qty * mid
        for column, value in zip(self._events, (now, self._permanent, self._transient), strict=True):
            column.append(value)

    def _offset_now(self, t: float) -> float:
        decay = math.exp2(-(t - self._transient_ts) / self.params.transient_half_life_s)
        return self._permanent + self._transient * decay

    def _offsets_after_last_trade(self, times: np.ndarray) -> np.ndarray:
        decay = np.exp2(-(times - self._transient_ts) / self.params.transient_half_life_s)
        result: np.ndarray = self._permanent + self._transient * decay
        return result

    def _offsets_at(self, times: np.ndarray, *, prints: bool) -> np.ndarray | None:
        """Our offset as it stood at each (past or present) time, from the history of our trades.

        A print at the very time of one of our trades was on the tape before it (``advance_to`` had
        released it), so ``prints`` leaves that trade out; a mid at that time already shows it.
        """
        event_ts, permanent, transient = self._events
        if not event_ts or times.size == 0:
            return None
        k = np.searchsorted(np.array(event_ts), times, side="left" if prints else "right") - 1
        after = k >= 0
        k = np.maximum(k, 0)
        since = times - np.array(event_ts)[k]
        decay = np.exp2(-since / self.params.transient_half_life_s)
        offsets = np.array(permanent)[k] + np.array(transient)[k] * decay
        result: np.ndarray = np.where(after, offsets, 0.0)
        return result

    # ------------------------------------------------------------------ internals: the touch

    def _spread_bounds(self) -> tuple[int, int]:
        p, tick = self.params, self._tick
        bounces = self.tape.bounce_quantiles(p.bounce_window_s, p.max_spread_quantile)
        if bounces is None:
            return p.min_spread_ticks, p.min_spread_ticks
        median, high = bounces
        maximum = max(p.min_spread_ticks, round(high / tick))
        return min(maximum, max(p.min_spread_ticks, round(median / tick))), maximum

    def _model_touch(self, times: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw bid price (before our offset) and spread in ticks at each time, from the last prints.

        ``counts[j]`` is the number of prints at or before ``times[j]`` (at least one).
        """
        tape, p, tick = self.tape, self.params, self._tick
        last = counts - 1
        buy_i, sell_i = tape.last_buy[last], tape.last_sell[last]
        has_buy, has_sell = buy_i >= 0, sell_i >= 0
        ask_px, ask_ts = tape.price[np.maximum(buy_i, 0)], tape.ts[np.maximum(buy_i, 0)]
        bid_px, bid_ts = tape.price[np.maximum(sell_i, 0)], tape.ts[np.maximum(sell_i, 0)]
        buy_ok = has_buy & (~has_sell | (ask_ts >= bid_ts - p.side_stale_s))
        sell_ok = has_sell & (~has_buy | (bid_ts >= ask_ts - p.side_stale_s))
        both = buy_ok & sell_ok
        raw = np.rint((ask_px - bid_px) / tick)
        clamped = np.clip(raw, p.min_spread_ticks, self._max_spread)
        spread = np.where(both, clamped, self._typical_spread)
        # the sell print stands as the bid unless the buy print is the only fresh one, or the two
        # disagree with the spread bounds and the buy print is the more recent (ties: the buy)
        sell_anchors = sell_ok & (~buy_ok | (raw == clamped) | (bid_ts > ask_ts))
        bid = np.where(sell_anchors, bid_px, ask_px - spread * tick)
        return bid, spread.astype(np.int64)

    def _touch_ticks(self) -> tuple[int, int]:
        """Tick index of the model's bid and ask now, our offset included (before our depletion)."""
        key = (self._now, len(self._events[0]))
        if self._touch_memo is None or self._touch_memo[0] != key:
            bid, spread = self._model_touch(np.array([self._now]), np.array([self._cursor]))
            bid_ticks = round((float(bid[0]) + self._offset_now(self._now)) / self._tick)
            self._touch_memo = (key, (bid_ticks, bid_ticks + int(spread[0])))
        return self._touch_memo[1]

    def _model_mid_now(self) -> float:
        bid, ask = self._touch_ticks()
        return (bid + ask) / 2 * self._tick

    def _level_price(self, book_side: Side, i: int) -> float:
        bid, ask = self._touch_ticks()
        ticks = bid - i if book_side is Side.BUY else ask + i
        return round(ticks * self._tick, self._price_digits)

    def _touch_price(self, book_side: Side) -> float:
        self._refill()
        ladder = self._ladder(book_side, 1)
        return ladder[0].price

    # ------------------------------------------------------------------ internals: depth

    def _lots(self, qty: float) -> int:
        return max(0, math.floor(qty / self._step + _LOT_EPS))

    def _level_sizes(self) -> tuple[int, int]:
        """Lots at the touch and at each deeper level, from the volume traded per minute lately."""
        if self._size_memo is None or self._size_memo[0] != self._now:
            p = self.params
            span = min(p.depth_window_s, max(self._now - self.tape.start, 60.0))
            per_minute = self._volume_since(self._now - p.depth_window_s) * 60.0 / span
            sizes = (
                max(self._floor_lots, self._lots(p.touch_share * per_minute)),
                max(self._floor_lots, self._lots(p.level_share * per_minute)),
            )
            self._size_memo = (self._now, sizes)
        return self._size_memo[1]

    def _refill(self) -> None:
        """Depleted levels refill exponentially with ``refill_half_life_s``, evaluated lazily."""
        elapsed = self._now - self._depletion_ts
        if elapsed <= 0:
            return
        self._depletion_ts = self._now
        factor = math.exp2(-elapsed / self.params.refill_half_life_s)
        for book_side, depleted in self._depletion.items():
            if any(depleted):
                self._depletion[book_side] = [d * factor if d * factor > 1e-9 else 0.0 for d in depleted]

    def _ladder(self, book_side: Side, levels: int) -> list[Level]:
        touch_lots, level_lots = self._level_sizes()
        depleted = self._depletion[book_side]
        ladder: list[Level] = []
        i = 0
        while len(ladder) < levels:
            base = touch_lots if i == 0 else level_lots
            lots = math.floor(base - (depleted[i] if i < len(depleted) else 0.0) + _LOT_EPS)
            if lots > 0:
                ladder.append(
                    Level(self._level_price(book_side, i), round(lots * self._step, self._qty_digits))
                )
            i += 1
        return ladder

    # ------------------------------------------------------------------ internals: tape history

    def _volume_since(self, t: float) -> float:
        """Volume of the prints after ``t`` up to now."""
        first = int(np.searchsorted(self.tape.ts, t, side="right"))
        return float(self.tape.cum_qty[self._cursor] - self.tape.cum_qty[min(first, self._cursor)])

    def _trades(self, rows: slice, offsets: np.ndarray | None) -> list[Trade]:
        tape = self.tape
        price = tape.price[rows] if offsets is None else tape.price[rows] + offsets
        price = np.round(np.rint(price / self._tick) * self._tick, self._price_digits)
        return list(
            map(
                Trade,
                tape.ts[rows].tolist(),
                price.tolist(),
                tape.qty[rows].tolist(),
                tape.side_names[rows].tolist(),
            )
        )

    def _volatility_1h(self) -> float:
        """Std-dev of the 1-min log returns of the model mid over the last hour, scaled to an hour."""
        times = self._now - 60.0 * np.arange(60, -1, -1)
        times = times[times >= self.tape.start]
        if times.size < 3:
            return 0.0
        counts = np.searchsorted(self.tape.ts, times, side="right")
        bid, spread = self._model_touch(times, counts)
        mids = bid + spread * self._tick / 2
        offsets = self._offsets_at(times, prints=False)
        if offsets is not None:
            mids = mids + offsets
        return float(np.std(np.diff(np.log(mids)), ddof=1)) * math.sqrt(60)


__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "ReplayMarket",
    "ReplayParams",
    "TapeError",
    "TradeTape",
    "infer_instrument",
]
