"""The desk's fat-finger limits: checked when a parent order is created (the form, the API and the CLI all
call `parent_order_create`) and on any limit price a person types. Each refusal names the limit and the
figures. Settings (docs/supervision.md, "Limits"): EXECDESK_MAX_ORDER_NOTIONAL,
EXECDESK_MAX_DAILY_VOLUME_SHARE, EXECDESK_PRICE_COLLAR_BPS; four-eyes is EXECDESK_FOUR_EYES_NOTIONAL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.inputs import decimal_input
from execdesk.domain.instrument import Instrument

NOTIONAL = "max_order_notional"
VOLUME_SHARE = "max_daily_volume_share"


@dataclass(frozen=True)
class DeskLimits:
    max_order_notional: Decimal  # quote currency per parent order
    max_daily_volume_share: Decimal  # of the symbol's volume over the last 24 hours
    price_collar_bps: Decimal  # how far from the mid a typed limit price may be
    four_eyes_notional: Decimal  # above it a supervisor approves the start (and the proposal)

    @property
    def max_daily_volume_pct(self) -> Decimal:
        return self.max_daily_volume_share * 100


def desk_limits() -> DeskLimits:
    desk = settings.EXECDESK
    return DeskLimits(max_order_notional=_dec(desk["MAX_ORDER_NOTIONAL"]),
                      max_daily_volume_share=_dec(desk["MAX_DAILY_VOLUME_SHARE"]),
                      price_collar_bps=_dec(desk["PRICE_COLLAR_BPS"]),
                      four_eyes_notional=_dec(desk["FOUR_EYES_NOTIONAL"]))


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


@dataclass(frozen=True)
class Breach:
    code: str
    message: str
    figures: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "figures": self.figures}


def order_limit_breaches(*, instrument: Instrument, quantity: Decimal, price: Decimal,
                         hourly_volumes: list[tuple[float, float]]) -> list[Breach]:
    """The desk-wide limits a parent order of `quantity` at `price` (the decision price) would break."""
    limits, quote, base = desk_limits(), instrument.quote_asset, instrument.base_asset or "base units"
    breaches = []
    notional = quantity * price
    if notional > limits.max_order_notional:
        breaches.append(Breach(NOTIONAL, f"notional {notional:,.0f} {quote} is above the desk's per-order limit "
                                         f"{limits.max_order_notional:,.0f} {quote}",
                               {"notional": f"{notional:f}", "limit": f"{limits.max_order_notional:f}"}))
    daily = Decimal(str(round(sum(volume for _, volume in hourly_volumes), 8)))
    share_pct = f"{limits.max_daily_volume_pct.normalize():f}"
    if daily <= 0:
        breaches.append(Breach(VOLUME_SHARE, f"{instrument.symbol} has no recorded volume over the last 24 hours: "
                                             f"the desk cannot check the {share_pct} % daily volume limit",
                               {"daily_volume": "0", "limit": f"{limits.max_daily_volume_share:f}"}))
    elif quantity > daily * limits.max_daily_volume_share:
        share = quantity / daily
        breaches.append(Breach(VOLUME_SHARE, f"quantity {quantity:,f} {base} is {share * 100:,.2f} % of {instrument.symbol}'s "
                                             f"volume over the last 24 hours ({daily:,.2f} {base}), above the "
                                             f"desk's limit of {share_pct} %",
                               {"quantity": f"{quantity:f}", "daily_volume": f"{daily:f}",
                                "share": f"{share:.6f}", "limit": f"{limits.max_daily_volume_share:f}"}))
    return breaches


def order_limits_refuse(breaches: list[Breach]) -> None:
    if breaches:
        raise InvalidInput("; ".join(b.message for b in breaches) + " (a supervisor may raise a limit for one "
                           "order, with a reason)")


def price_collar_check(name: str, price: Decimal, *, mid: float, quote: str = "USDT") -> None:
    """A limit price a person typed must lie within the desk's collar around the mid now."""
    collar = desk_limits().price_collar_bps
    if mid <= 0:
        return  # no market to compare with: the risk gate decides
    reference = Decimal(str(mid))
    deviation = abs(price - reference) / reference * 10_000
    if deviation > collar:
        raise InvalidInput(f"{name} {price:f} {quote} is {deviation:,.0f} bps from the mid {reference:f}, outside "
                           f"the desk's price collar of {collar:,.0f} bps")


def auto_cap_input(value: object) -> Decimal:
    """The auto-approval cap: zero (none) up to the desk's per-order limit; above it is a typo, not a cap."""
    cap = decimal_input("auto cap", value)
    if cap < 0:
        raise InvalidInput(f"auto cap must be zero or more, got {cap}")
    limit = desk_limits().max_order_notional
    if cap > limit:
        raise InvalidInput(f"auto cap {cap:,f} is above the desk's per-order limit {limit:,.0f}")
    return cap
