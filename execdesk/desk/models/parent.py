from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from execdesk.desk.models.fields import price_field, qty_field
from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP
from execdesk.domain.end_policy import DEFAULT_END_POLICY, EndPolicy
from execdesk.domain.states import ParentStatus


class Strategy(models.TextChoices):
    TWAP = "twap", "TWAP"
    VWAP = "vwap", "VWAP"
    IS = "is", "IS / Almgren–Chriss"
    POV = "pov", "POV"
    ADAPTIVE = "adaptive", "Adaptive"


class ApprovalMode(models.TextChoices):
    MANUAL = "manual", "Manual: every proposal waits for a human"
    AUTO_WITHIN_LIMITS = "auto_within_limits", "Auto within limits"
    AUTOPILOT = "autopilot", "Autopilot"


END_POLICY_CHOICES = [
    (EndPolicy.FINISH.value, "Finish: cross the remainder in the last interval (capped by the risk gate)"),
    (EndPolicy.EXPIRE.value, "Expire: stop at the deadline, report the remainder"),
    (EndPolicy.CONTINUE.value, "Continue: keep working at the last rate until done or cancelled"),
]


class Side(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class ParentOrder(models.Model):
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = qty_field()
    horizon_seconds = models.PositiveIntegerField()
    interval_seconds = models.PositiveIntegerField()
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.TWAP)
    approval_mode = models.CharField(max_length=24, choices=ApprovalMode.choices, default=ApprovalMode.MANUAL)
    auto_cap_notional = price_field(default=Decimal("0"))  # auto_within_limits approves below this
    advisor = models.CharField(max_length=16, default="rules")
    venue = models.CharField(max_length=16, default="paper")
    notes = models.TextField(blank=True, default="")
    # The execution rate as a multiple of the strategy's schedule: an approved ACCELERATE / DECELERATE sets
    # it; baseline slices (and the advisor's fallbacks) are scaled by it.
    rate = models.FloatField(default=1.0)
    # IS only: the trader's urgency (low / medium / high, blank: medium) or the Almgren–Chriss risk aversion
    # lambda in 1 / quote currency given directly (then urgency is blank); domain/strategies/is_urgency.py.
    urgency = models.CharField(max_length=8, blank=True, default="",
                               choices=[("low", "low"), ("medium", "medium"), ("high", "high")])
    risk_aversion = models.FloatField(null=True, blank=True)
    # POV only: the target participation rate and its bounds, fractions of the volume (None: the desk's 5 %
    # rate, no bounds); domain/strategies/pov.py POVTerms.
    pov_rate = models.FloatField(null=True, blank=True)
    min_participation = models.FloatField(null=True, blank=True)
    max_participation = models.FloatField(null=True, blank=True)
    proposal_ttl_seconds = models.PositiveIntegerField(default=30)
    # What the order does at its deadline (execdesk.domain.end_policy): finish, expire or continue.
    end_policy = models.CharField(max_length=8, choices=END_POLICY_CHOICES, default=DEFAULT_END_POLICY.value)
    # The largest slice as a multiple of the scheduled slice: a backlog is worked off, never swept (domain.catchup).
    max_catchup = models.FloatField(default=DEFAULT_MAX_CATCHUP)
    # Don't buy above / sell below (domain.limit_price): no child order may fill beyond it. Null: no limit.
    limit_price = price_field(null=True, blank=True)
    # A scheduled start: started before it, the order waits (no proposal) and its schedule begins then.
    start_at = models.DateTimeField(null=True, blank=True)
    # Frozen when the order starts (volume curve, Almgren–Chriss inputs, POV rate, seed), so the plan does
    # not drift as the market moves; shown on the order page and audited.
    strategy_params = models.JSONField(default=dict, blank=True)
    pretrade = models.JSONField(default=dict, blank=True)  # the pre-trade cost estimate made at creation
    tca = models.JSONField(default=dict, blank=True)  # the latest TCA report (domain.tca), refreshed on fills

    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in ParentStatus],
                              default=ParentStatus.INITIALIZED)
    decision_price = price_field()
    executed_qty = qty_field(default=Decimal("0"))
    avg_price = price_field(null=True, blank=True)
    fees = price_field(default=Decimal("0"))
    is_bps = models.FloatField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="parent_orders")
    # A supervisor's raise of the desk's limits for this order only: {"by", "reason", "breaches"} (audited).
    limits_raised = models.JSONField(default=dict, blank=True)
    # Four-eyes on the whole order: above the desk's four-eyes notional a supervisor other than the creator
    # approves it before it can start.
    start_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="+")
    start_approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_step_at = models.DateTimeField(null=True, blank=True)
    # When the order's next step is due (set by each step; None: at the next tick). The tick steps only the
    # orders that are due, so an order with a 30 s interval costs nothing between its steps; anything that
    # may make it due sooner (a state change, a decided or withdrawn proposal, an amendment) clears it.
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The next_step_at a step task has been queued for (by the tick, or by the step before it): the tick does
    # not queue it again while that is fresh, and does once it is overdue (a lost task is replaced).
    step_queued_for = models.DateTimeField(null=True, blank=True)
    # The schedule clock stops while the order cannot trade (desk HALTED, order PAUSED): `clock_stopped_at`
    # is when it stopped, `clock_shift_seconds` how long it has stood in all; resuming moves the deadline by
    # the stop, so the schedule continues from where it stopped (services/schedule_clock.py).
    clock_stopped_at = models.DateTimeField(null=True, blank=True)
    clock_shift_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("trade", "Create, run and approve parent orders"),
            ("supervise", "Supervise the desk: halt, four-eyes approvals"),
            ("audit", "Review the audit trail"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="parent_quantity_positive"),
            models.CheckConstraint(condition=models.Q(executed_qty__gte=0), name="parent_executed_non_negative"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side.upper()} {self.quantity.normalize():f} {self.symbol} ({self.status})"

    @property
    def remaining_qty(self) -> Decimal:
        return max(self.quantity - self.executed_qty, Decimal("0"))

    @property
    def progress_pct(self) -> float:
        return float(self.executed_qty / self.quantity * 100) if self.quantity else 0.0

    @property
    def randomise_pct(self) -> float:
        return float((self.strategy_params or {}).get("randomise", 0.0)) * 100

    @property
    def state(self) -> ParentStatus:
        return ParentStatus(self.status)
