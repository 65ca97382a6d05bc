"""The bad-input matrix shared by the API, form and CLI tests: every numeric field of every write × these
values is refused with a 4xx (or a CommandError), writes nothing and breaks no later read."""

from __future__ import annotations

BAD_VALUES = {
    "negative": "-1",
    "zero": "0",
    "huge": "1000000000",
    "1e30": "1e30",
    "exponent": "1e1",  # one number syntax everywhere: plain digits, no exponent (1e1 would be 10)
    "NaN": "NaN",
    "abc": "abc",
    "40 digits": "1" * 40,
    "column edge": "999999999999999999.9999999999",  # fits DecimalField(28, 10) but SQLite reads back 10^18
}

# Zero is a legitimate value of these fields (no auto-approval cap; no randomisation; no grace): accepted.
ZERO_IS_VALID = frozenset({"auto_cap_notional", "randomise", "randomise_pct", "grace"})


def cases(fields: list[str]) -> list[tuple[str, str, str]]:
    """(field, kind, value) for every field × bad value, as pytest parameters."""
    return [(field, kind, value) for field in fields for kind, value in BAD_VALUES.items()]


def case_id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}={case[1]}"
