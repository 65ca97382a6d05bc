"""Instrument rules: tick size, quantity step and minimums, applied as Decimal at the venue edge."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal


class InstrumentRuleError(ValueError):
    """An order violates the instrument's minimum quantity or notional."""


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr() gives the shortest string that round-trips, so 0.1 stays 0.1
        return Decimal(repr(value))
    return Decimal(value)


@dataclass(frozen=True)
class Instrument:
    symbol: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    base_asset: str = ""
    quote_asset: str = "USDT"

    def price(self, value: float | str | Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
        """Price snapped to the tick (half-even by default; ROUND_DOWN / ROUND_UP for passive sides)."""
        units = (to_decimal(value) / self.tick_size).quantize(Decimal(1), rounding=rounding)
        return (units * self.tick_size).quantize(self.tick_size)

    def qty(self, value: float | str | Decimal) -> Decimal:
        """Quantity snapped down to the step: never send more than asked."""
        units = (to_decimal(value) / self.qty_step).quantize(Decimal(1), rounding=ROUND_DOWN)
        return (units * self.qty_step).quantize(self.qty_step)

    def passive_price(self, value: float | str | Decimal, side: str) -> Decimal:
        """A buy limit rounds down, a sell limit rounds up: never more aggressive than asked."""
        return self.price(value, ROUND_DOWN if side == "buy" else ROUND_UP)

    def check(self, qty: Decimal, price: Decimal) -> None:
        if qty < self.min_qty:
            raise InstrumentRuleError(
                f"{self.symbol}: quantity {qty} is below the minimum order quantity {self.min_qty}"
            )
        notional = qty * price
        if notional < self.min_notional:
            raise InstrumentRuleError(
                f"{self.symbol}: notional {notional:.2f} {self.quote_asset} is below the minimum "
                f"{self.min_notional} {self.quote_asset}"
            )


# Bybit's published rules for the spot/linear BTCUSDT pair; the simulated market uses the same.
BTCUSDT = Instrument(
    symbol="BTCUSDT",
    tick_size=Decimal("0.1"),
    qty_step=Decimal("0.001"),
    min_qty=Decimal("0.001"),
    min_notional=Decimal("5"),
    base_asset="BTC",
)
ETHUSDT = Instrument(
    symbol="ETHUSDT",
    tick_size=Decimal("0.01"),
    qty_step=Decimal("0.01"),
    min_qty=Decimal("0.01"),
    min_notional=Decimal("5"),
    base_asset="ETH",
)

SIM_INSTRUMENTS: dict[str, Instrument] = {i.symbol: i for i in (BTCUSDT, ETHUSDT)}
