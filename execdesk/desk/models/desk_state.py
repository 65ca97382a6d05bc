from __future__ import annotations

from django.db import models

from execdesk.domain.risk import TradingState


class DeskState(models.Model):
    """The desk-wide trading state the risk gate reads: one row, changed only by `desk_trading_state_set`."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    trading_state = models.CharField(max_length=10, choices=[(s.value, s.value) for s in TradingState],
                                     default=TradingState.ACTIVE.value)
    reason = models.TextField(blank=True, default="")
    changed_by = models.CharField(max_length=150, blank=True, default="")
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="desk_state_singleton")]

    def __str__(self) -> str:
        return f"desk {self.trading_state}"

    @property
    def state(self) -> TradingState:
        return TradingState(self.trading_state)
