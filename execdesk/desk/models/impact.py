from __future__ import annotations

from django.db import models

from execdesk.desk.models.fields import price_field, qty_field


class ImpactObservation(models.Model):
    """One child order's markout, the input of the real-time impact recalibration (last 1,000 per symbol).

    `mid_before` is the mid when the child was sent; `mid_after` the mid at least one decision interval later
    (a markout); `duration_s` the seconds between the two (the markout delay: a market order itself is
    instantaneous). `predicted_bps` and `realised_bps` are the model's and the realised markout."""

    symbol = models.CharField(max_length=32, db_index=True)
    child = models.OneToOneField("desk.ChildOrder", on_delete=models.PROTECT, related_name="impact_observation")
    side = models.CharField(max_length=4)
    qty = qty_field()
    avg_price = price_field()
    mid_before = price_field()
    mid_after = price_field()
    duration_s = models.FloatField()  # the markout delay, seconds from the child to mid_after
    volatility_1h = models.FloatField()
    adv = models.FloatField()  # base units per day, from the 1-h volume when the child was sent
    spread_bps = models.FloatField()
    predicted_bps = models.FloatField(null=True, blank=True)
    realised_bps = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"impact {self.symbol} {self.side} {self.qty.normalize():f}"
