"""One question to the Claude advisor and what came of it: the record behind every Claude proposal,
every fallback and the advisor metrics (latency, tokens, cost, fallback reasons).

The raw tool input is kept as the model gave it (invalid answers included), so an auditor sees exactly
what was refused and why. The API key is never part of it."""

from __future__ import annotations

from django.db import models

from execdesk.desk.models.parent import ParentOrder


class QueryStatus(models.TextChoices):
    RUNNING = "running"  # asked; the answer is not in yet
    ANSWERED = "answered"  # a tool call came back (validated when a step uses it)
    FAILED = "failed"  # timeout, 429/529/5xx, connection, no tool call: the reason is in `error`


class QueryKind(models.TextChoices):
    DECISION = "decision"
    IMPACT = "impact"


class AdvisorQuery(models.Model):
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="advisor_queries")
    kind = models.CharField(max_length=16, choices=QueryKind.choices, default=QueryKind.DECISION)
    seq = models.PositiveIntegerField(default=0)  # the proposal seq it is meant for (decisions)
    status = models.CharField(max_length=16, choices=QueryStatus.choices, default=QueryStatus.RUNNING)
    model = models.CharField(max_length=64, blank=True, default="")
    prompt_hash = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField()
    mid = models.FloatField(null=True, blank=True)  # the mid Claude was shown: how far the market moved since
    finished_at = models.DateTimeField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)  # None: price unknown
    cached = models.BooleanField(default=False)
    tool_input = models.JSONField(null=True, blank=True)  # the model's answer, as given
    text = models.TextField(blank=True, default="")  # any text it wrote besides the tool call
    error_kind = models.CharField(max_length=24, blank=True, default="")
    error = models.TextField(blank=True, default="")
    # what the step made of it: "" (not used yet), "proposal" (Claude's), "fallback" (invalid / refused /
    # failed), "late" (the step went on without it), "stale" (answered too long before the step)
    use = models.CharField(max_length=16, blank=True, default="")
    use_reason = models.TextField(blank=True, default="")
    fallback_kind = models.CharField(max_length=24, blank=True, default="")  # advisors.anthropic's kinds
    proposal = models.ForeignKey("desk.Proposal", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="advisor_queries")

    class Meta:
        ordering = ["-started_at"]
        constraints = [  # one question in flight per order and kind, even under concurrent steps
            models.UniqueConstraint(fields=["parent", "kind"], condition=models.Q(status="running"),
                                    name="one_running_advisor_query"),
        ]
        indexes = [models.Index(fields=["parent", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} query {self.parent_id}/{self.seq} ({self.status})"
