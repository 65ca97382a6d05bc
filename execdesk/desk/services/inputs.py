"""Parsing of numbers people type (forms, API, overrides): each error names the field and the value."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

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


def utc_datetime_input(name: str, value: object) -> datetime | None:
    """An ISO-8601 time ("2026-11-24T15:30:00", UTC when no offset is given); blank → None."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput(f"{name} {text!r} is not a date and time (expected YYYY-MM-DDTHH:MM[:SS], UTC)")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
