from __future__ import annotations

from decimal import Decimal

from django.db import models

from execdesk.desk.models.fields import price_field, qty_field
from execdesk.desk.models.parent import ParentOrder
from execdesk.desk.models.proposal import Proposal
from execdesk.domain.orders import ChildStatus


class ChildOrder(models.Model):
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="child_orders")
    # OneToOne: a proposal can become at most one child order, whatever the concurrency
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="child_order")
    order_link_id = models.CharField(max_length=36, unique=True)
    venue = models.CharField(max_length=16)
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4)
    order_type = models.CharField(max_length=16)
    tif = models.CharField(max_length=4)
    quantity = qty_field()
    price = price_field(null=True, blank=True)
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in ChildStatus],
                              default=ChildStatus.NEW)
    filled_qty = qty_field(default=Decimal("0"))
    avg_price = price_field(null=True, blank=True)
    venue_order_id = models.CharField(max_length=64, blank=True, default="")
    reject_reason = models.TextField(blank=True, default="")
    mid_at_send = price_field(null=True, blank=True)
    # Set, under the row lock, just before a live venue is called: exactly one sender, and a child still NEW
    # with this set was maybe sent (the worker died before the answer) until reconciliation settles it.
    send_started_at = models.DateTimeField(null=True, blank=True)
    # The outbox: a NEW child is work recorded in the transaction that approved it. Past send_by it is never
    # sent (checked under the row lock by the sender); the sweeper expires it and the next step re-plans.
    send_by = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "send_by"], name="child_outbox")]

    def __str__(self) -> str:
        return f"{self.order_link_id} {self.side} {self.quantity.normalize():f} {self.order_type} ({self.status})"

    @property
    def is_open(self) -> bool:
        return ChildStatus(self.status).is_open


class Fill(models.Model):
    child = models.ForeignKey(ChildOrder, on_delete=models.PROTECT, related_name="fills")
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="fills")
    exec_id = models.CharField(max_length=64, unique=True)  # a venue execution is recorded once
    qty = qty_field()
    price = price_field()
    fee = price_field()
    fee_currency = models.CharField(max_length=12)
    liquidity = models.CharField(max_length=5)  # maker / taker
    ts = models.DateTimeField()
    # TCA evidence (docs/tca.md): the market's mid at the fill and the first mids seen 1, 10 and 60 s after it
    mid = price_field(null=True, blank=True)
    mid_1s = price_field(null=True, blank=True)
    mid_10s = price_field(null=True, blank=True)
    mid_60s = price_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ts", "id"]
        indexes = [models.Index(fields=["ts"], name="fill_ts")]  # the tick's markout look-up by fill time

    def __str__(self) -> str:
        return f"fill {self.exec_id} {self.qty.normalize():f} @ {self.price.normalize():f}"
