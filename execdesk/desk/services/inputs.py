"""Parsing of numbers people type (forms, API, overrides): each error names the field and the value."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from execdesk.desk.services.errors import InvalidInput
from execdesk.domain.instrument import Instrument

# Every decimal column is DecimalField(max_digits=28, decimal_places=10) (models/fields.py). An input is
# checked against that shape before anything is written, with one integer digit less than the column
# holds: SQLite keeps decimals as doubles, and a value just below 10^18 reads back as 10^18, which no longer
# fits the column and leaves the whole row unreadable.
COLUMN_DIGITS, COLUMN_PLACES = 28, 10
MAX_INTEGER_DIGITS = COLUMN_DIGITS - COLUMN_PLACES - 1
_MAX_TEXT = 64  # longer than any number that fits the column, even with zeros

# The one number syntax of every input (forms, API, CLI): decimal digits with an optional sign and an optional
# point followed by digits ("0.5", "-2", "+10.25"). Whitespace around it is stripped. No exponent ("1e3"),
# no NaN or Infinity, no "_" or "," separators, no bare point (".5", "5.").
PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def plain_decimal_text(name: str, value: object) -> str:
    """The stripped text of a number typed in the desk's one syntax, or InvalidInput naming the field."""
    text = str(value).strip()
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if isinstance(value, bool) or len(text) > _MAX_TEXT:
        raise InvalidInput(f"{name} {shown} is not a number the desk can hold")
    if PLAIN_DECIMAL.fullmatch(text):
        return text
    try:
        Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} {shown} is not a number") from None
    raise InvalidInput(f'{name} {shown} is not a plain decimal: write digits with an optional sign and point, '
                       'such as "0.5" (no exponent, NaN or Infinity)')


def decimal_input(name: str, value: object) -> Decimal:
    """A finite decimal that fits the desk's decimal columns (at most 17 digits before the point and 10
    after), or InvalidInput naming the field and the value. Text must be in the one number syntax
    (`PLAIN_DECIMAL`); a Decimal or int the desk computed itself is taken at its value."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = format(value, "f")
    else:
        text = plain_decimal_text(name, value)
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{name} {shown} is not a number the desk can hold")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} {shown} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(f"{name} must be a finite number, got {shown}")
    if number.is_zero():
        return Decimal(0)
    if -int(number.normalize().as_tuple().exponent) > COLUMN_PLACES:
        raise InvalidInput(f"{name} {shown} has more than {COLUMN_PLACES} decimal places")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidInput(f"{name} {shown} is too large: at most {MAX_INTEGER_DIGITS} digits before the point")
    exponent = int(number.as_tuple().exponent)  # finite: an int
    if exponent > 0:  # "1e3" is 1000, and is shown so
        return number.quantize(Decimal(1))
    if -exponent > COLUMN_PLACES:  # trailing zeros only (checked above): drop them exactly
        return number.quantize(Decimal(1).scaleb(-COLUMN_PLACES))
    return number


def int_input(name: str, value: object, *, low: int, high: int, unit: str = "") -> int:
    """A whole number between `low` and `high`; text of digits is accepted (forms, the CLI)."""
    suffix = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name} must be a whole number, got {value!r}")
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or len(text) > 20:
        raise InvalidInput(f"{name} must be a whole number between {low} and {high}{suffix}, got {text[:40]!r}")
    number = int(text)
    if not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low}{suffix} and {high}{suffix}, got {number}{suffix}")
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
