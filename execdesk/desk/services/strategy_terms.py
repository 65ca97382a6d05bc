"""The strategy's own terms a trader sets on an order: IS's urgency or risk aversion. Each is checked here once
for the form, the API and the CLI, and refused with InvalidInput naming the field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.inputs import plain_decimal_text
from execdesk.domain.strategies.is_urgency import check_risk_aversion, urgency_level

IS = "is"


@dataclass(frozen=True)
class ISTerms:
    urgency: str = ""  # blank: medium (or the risk aversion when one is given)
    risk_aversion: float | None = None


def number_input(name: str, value: object) -> float | None:
    """A float typed in the desk's number syntax (text) or given as a number (API); blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a number, got {value!r}")
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        number = float(Decimal(plain_decimal_text(name, value)))
    if not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}")
    return number


def is_terms_input(strategy: str, urgency: object, risk_aversion: object) -> ISTerms:
    """IS's urgency (low / medium / high) or its Almgren–Chriss risk aversion in 1 / quote currency; only for
    the IS strategy, and never both."""
    text = "" if urgency is None else str(urgency).strip()
    lam = number_input("risk aversion", risk_aversion)
    if not text and lam is None:
        return ISTerms()
    if strategy != IS:
        given = "urgency" if text else "risk aversion"
        raise InvalidInput(f"{given} applies to the IS strategy only, not to {strategy!r}")
    if text and lam is not None:
        raise InvalidInput("give either an urgency or a risk aversion, not both")
    try:
        if lam is not None:
            return ISTerms(risk_aversion=check_risk_aversion(lam))
        return ISTerms(urgency=urgency_level(text))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
