"""The strategy's own terms a trader sets on an order: IS's urgency or risk aversion, POV's rate and its
participation bounds. Each is checked here once for the form, the API and the CLI, and refused with
InvalidInput naming the field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.inputs import plain_decimal_text
from execdesk.domain.strategies.is_urgency import check_risk_aversion, urgency_level
from execdesk.domain.strategies.pov import POVTerms

IS, POV = "is", "pov"
POV_RATE = 0.05  # the desk's POV rate when the order gives none


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


def pov_terms_input(strategy: str, pov_rate: object, min_participation: object, max_participation: object,
                    *, cap: float) -> POVTerms | None:
    """POV's target rate and bounds, fractions of the volume with min <= rate <= max, each in (0, 1] and at
    most the desk's participation cap `cap`; only for the POV strategy. None when none is given (the desk's
    rate, no bounds)."""
    given = {name: number_input(name, value) for name, value in
             (("pov_rate", pov_rate), ("min_participation", min_participation),
              ("max_participation", max_participation))}
    if all(v is None for v in given.values()):
        return None
    if strategy != POV:
        names = [k for k, v in given.items() if v is not None]
        verb = "applies" if len(names) == 1 else "apply"
        raise InvalidInput(f"{' and '.join(names)} {verb} to the POV strategy only, not to {strategy!r}")
    rate = given["pov_rate"]
    try:
        terms = POVTerms(POV_RATE if rate is None else rate, given["min_participation"], given["max_participation"])
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if terms.high > cap:
        name = "max_participation" if terms.max_participation is not None else "pov_rate"
        raise InvalidInput(f"{name} ({terms.high:g}) is above the desk's participation cap ({cap:g}): the risk "
                           "gate would refuse every slice above it")
    return terms
