from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from execdesk.domain.scheduled_events import MAX_MOVE_BPS
from execdesk.domain.scheduled_events import ScheduledEvent as DomainEvent


class ScheduledEvent(models.Model):
    """One entry of the desk's calendar of scheduled market events (a CPI or FOMC release, a funding time, a
    token unlock), kept by supervisors in the admin: the time is known, the direction is not. The pre-trade
    estimate made at an order's creation widens its band by the typical move of each event that lands
    while part of the order is still to trade (docs/tca.md, "Scheduled events")."""

    name = models.CharField(max_length=120, help_text="what happens, as the pre-trade panel names it (e.g. US CPI)")
    at = models.DateTimeField(db_index=True, help_text="when it happens (stored in UTC)")
    symbols = models.CharField(max_length=400, blank=True, default="",
                               help_text="comma-separated symbols it moves (e.g. BTCUSDT, ETHUSDT); blank: every symbol")
    move_bps = models.DecimalField(
        max_digits=7, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_MOVE_BPS)],
        help_text="typical absolute move in bps, either way (the root mean square of past moves on this event)")
    source = models.CharField(max_length=400,
                              help_text="where the typical move comes from (e.g. BTC 15-min moves on the last 12 CPI releases)")
    repeat_every_hours = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="recurs every this many hours from its time (8 for Bybit's funding); blank: once")
    updated_by = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["at", "name"]

    def __str__(self) -> str:
        every = f", every {self.repeat_every_hours} h" if self.repeat_every_hours else ""
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M} UTC{every} (±{self.move_bps} bps)"

    def clean(self) -> None:
        if self.at is None or self.move_bps is None:
            return  # the field's own "required" error says it
        try:
            self.to_domain()
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @property
    def symbol_list(self) -> tuple[str, ...]:
        return tuple(s.strip().upper() for s in self.symbols.split(",") if s.strip())

    def to_domain(self) -> DomainEvent:
        return DomainEvent(at_ts=self.at.timestamp(), move_bps=float(self.move_bps), name=self.name,
                           symbols=self.symbol_list, source=self.source,
                           every_s=self.repeat_every_hours * 3600.0 if self.repeat_every_hours else None)
