"""Parsing of numbers people type (forms, API, overrides): each error names the field and the value."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from execdesk.desk.services.errors import InvalidInput
from execdesk.domain.instrument import Instrument


def decimal_input(name: str, value: object) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} {value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(f"{name} must be a finite number, got {value!r}")
    return number


def quantity_input(name: str, value: object, instrument: Instrument) -> Decimal:
    """A positive quantity on the instrument's step (never silently rounded)."""
    qty = decimal_input(name, value)
    if qty <= 0:
        raise InvalidInput(f"{name} must be positive, got {qty}")
    if instrument.qty(qty) != qty:
        raise InvalidInput(f"{name} {qty} is not a multiple of {instrument.symbol}'s step {instrument.qty_step}")
    return qty
