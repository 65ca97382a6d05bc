from __future__ import annotations

from django.conf import settings
from django.db import models

from execdesk.desk.models.fields import price_field, qty_field
from execdesk.desk.models.parent import ParentOrder
from execdesk.domain.proposals import Action


class ProposalStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    OVERRIDDEN = "overridden"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # the parent order stopped before anyone decided


class Proposal(models.Model):
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="proposals")
    seq = models.PositiveIntegerField()
    advisor = models.CharField(max_length=16)
    action = models.CharField(max_length=16, choices=[(a.value, a.value) for a in Action])
    quantity = qty_field()
    order_type = models.CharField(max_length=16, blank=True, default="")
    limit_price = price_field(null=True, blank=True)
    tif = models.CharField(max_length=4, default="GTC")
    reasoning = models.TextField()
    confidence = models.FloatField()
    risk_assessment = models.TextField(blank=True, default="")
    risk_checks = models.JSONField(default=list)
    risk_blocked = models.BooleanField(default=False)
    baseline_qty = qty_field()
    is_fallback = models.BooleanField(default=False)
    fallback_reason = models.TextField(blank=True, default="")
    market = models.JSONField(default=dict)  # the snapshot the advisor saw
    new_rate = models.FloatField(null=True, blank=True)  # ACCELERATE / DECELERATE: rate as a multiple of the schedule
    expected_impact_bps = models.FloatField(null=True, blank=True)  # the advisor's own estimate
    # the desk's pre-trade impact estimate for this slice (the symbol's impact model, at proposal time)
    slice_impact_bps = models.FloatField(null=True, blank=True)
    advisor_latency_ms = models.FloatField(null=True, blank=True)  # how long the advisor took to answer

    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="decided_proposals")
    decision_reason = models.TextField(blank=True, default="")
    # what was finally sent: the proposal's own terms, or the human override
    final_quantity = qty_field(null=True, blank=True)
    final_order_type = models.CharField(max_length=16, blank=True, default="")
    final_limit_price = price_field(null=True, blank=True)
    final_tif = models.CharField(max_length=4, blank=True, default="")
    override_checks = models.JSONField(default=list, blank=True)
    # Four-eyes: an override above the desk's threshold waits, still PENDING, for a supervisor other than
    # the person who wrote it; these record who wrote it, when and why.
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="overridden_proposals")
    overridden_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "seq"], name="proposal_seq_unique_per_parent"),
            # at most one pending proposal per parent order, even under concurrent steps
            models.UniqueConstraint(fields=["parent"], condition=models.Q(status="pending"),
                                    name="one_pending_proposal_per_parent"),
        ]

    def __str__(self) -> str:
        return f"proposal {self.parent_id}/{self.seq} {self.action} {self.quantity.normalize():f} ({self.status})"
