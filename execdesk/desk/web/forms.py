from __future__ import annotations

from django import forms
from django.conf import settings

from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.advisors.claude_config import ClaudeConfigError
from execdesk.desk.models import ApprovalMode, Strategy
from execdesk.desk.models.parent import END_POLICY_CHOICES
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.inputs import plain_decimal_text
from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP, MAX_CATCHUP_LIMIT
from execdesk.domain.end_policy import DEFAULT_END_POLICY
from execdesk.domain.instrument import SIM_INSTRUMENTS


class PlainDecimalField(forms.DecimalField):
    """A DecimalField in the desk's one number syntax (services/inputs.py): no exponent, NaN or Infinity."""

    def to_python(self, value):
        if value not in self.empty_values:
            try:
                value = plain_decimal_text(str(self.label or "the number"), value)
            except InvalidInput as exc:
                raise forms.ValidationError(str(exc), code="invalid") from None
        return super().to_python(value)


def venue_choices() -> list[tuple[str, str]]:
    """The paper venue always; Bybit when the desk has credentials (labelled with its environment)."""
    from execdesk.desk.bybit.link import bybit_status

    choices = [("paper", "Paper venue · simulated market")]
    ok, banner = bybit_status()
    if ok:
        choices.append(("bybit", f"Bybit · {banner}"))
    return choices


def advisor_choices() -> list[tuple[str, str]]:
    """The strategy's own advisor always (blank: the service picks schedule or rules); Claude only when the
    desk has an Anthropic key, so the form never offers an advisor the service would refuse."""
    from execdesk.desk.services.advice import claude_available

    choices = [("", "Strategy's own (schedule / rules)")]
    try:
        available = claude_available()
    except ClaudeConfigError:  # an unreadable key file: the desk runs without Claude, as without a key
        available = False
    if available:
        choices.append((CLAUDE, "Claude (anthropic)"))
    return choices


class ParentOrderForm(forms.Form):
    venue = forms.ChoiceField(choices=venue_choices, initial="paper",
                              help_text="Where the child orders go; Bybit appears when its keys are set")
    symbol = forms.ChoiceField(choices=[(s, s) for s in sorted(SIM_INSTRUMENTS)], initial="BTCUSDT")
    side = forms.ChoiceField(choices=[("buy", "Buy"), ("sell", "Sell")])
    # the column's shape, with services/inputs.py's headroom: 17 digits before the point, 10 after
    quantity = PlainDecimalField(min_value=0, max_digits=27, decimal_places=10, initial="0.5",
                                  help_text="Base asset quantity, a multiple of the instrument's step")
    horizon_seconds = forms.IntegerField(min_value=30, initial=600, label="Horizon (s)")
    interval_seconds = forms.IntegerField(min_value=5, required=False, label="Decision interval (s)")
    strategy = forms.ChoiceField(choices=Strategy.choices, initial=Strategy.TWAP)
    advisor = forms.ChoiceField(choices=advisor_choices, initial="", required=False,
                                help_text="Who proposes each step; Claude appears when the desk has an Anthropic key")
    randomise_pct = PlainDecimalField(min_value=0, max_value=50, max_digits=4, decimal_places=1, initial=0,
                                       required=False, label="Randomise slices (%)",
                                       help_text="TWAP/adaptive: jitter slice size and timing to be harder to detect")
    urgency = forms.ChoiceField(
        choices=[("", "Medium (default)"), ("low", "Low"), ("medium", "Medium"), ("high", "High")], required=False,
        label="IS urgency", help_text="IS only: how much timing risk the trader avoids (Almgren–Chriss risk "
                                      "aversion per bps of the notional); the frontier is shown on creation")
    risk_aversion = forms.CharField(
        required=False, max_length=64, label="IS risk aversion λ (1/USDT)",
        help_text="IS only, instead of the urgency: the Almgren–Chriss λ itself, e.g. 0.00003")
    pov_rate = forms.CharField(required=False, max_length=64, label="POV rate",
                               help_text="POV only: target share of the volume, a fraction (0.05 = 5 %; blank: 0.05)")
    min_participation = forms.CharField(required=False, max_length=64, label="POV min participation",
                                        help_text="POV only: the share it slows to when ahead of schedule")
    max_participation = forms.CharField(required=False, max_length=64, label="POV max participation",
                                        help_text="POV only: the share it speeds up to when behind, and after "
                                                  "the deadline")
    end_policy = forms.ChoiceField(choices=END_POLICY_CHOICES, initial=DEFAULT_END_POLICY.value, required=False,
                                   label="At the deadline",
                                   help_text="Finish: complete in the last interval (the risk gate caps it). Expire: "
                                             "stop at the deadline. Continue: keep going at the last rate. Blank: finish")
    start_at = forms.CharField(required=False, max_length=40, label="Start at (UTC)",
                               help_text="YYYY-MM-DDTHH:MM; blank: when started")
    limit_price = PlainDecimalField(min_value=0, max_digits=27, decimal_places=10, required=False,
                                    label="Limit price", help_text="Don't buy above / sell below; blank: no limit")
    max_catchup = PlainDecimalField(min_value=1, max_value=int(MAX_CATCHUP_LIMIT), max_digits=5, decimal_places=2,
                                    initial=DEFAULT_MAX_CATCHUP, required=False, label="Max catch-up (× slice)",
                                    help_text="Behind schedule, a step sends at most this many scheduled slices. "
                                              f"Blank: {DEFAULT_MAX_CATCHUP:g}")
    approval_mode = forms.ChoiceField(choices=ApprovalMode.choices, initial=ApprovalMode.MANUAL)
    auto_cap_notional = PlainDecimalField(min_value=0, max_digits=20, decimal_places=2, initial=0, required=False,
                                           label="Auto-approve cap (USDT)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000,
                            label="Notes / news for the advisor")
    raise_limits_reason = forms.CharField(
        required=False, max_length=2000, label="Raise the desk's limits for this order (supervisor)",
        help_text="Supervisors only: the reason this one order may exceed the desk's limits (audited)")

    def __init__(self, *args, supervisor: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not supervisor:  # only a supervisor may raise a limit; the service refuses it from anyone else
            del self.fields["raise_limits_reason"]
        # Blank takes the advisor's default: Claude needs longer between decisions than the schedule does.
        own, claude = settings.EXECDESK["DEFAULT_INTERVAL_SECONDS"], settings.EXECDESK["LLM_DEFAULT_INTERVAL_SECONDS"]
        offers_claude = any(value == CLAUDE for value, _ in advisor_choices())
        field = self.fields["interval_seconds"]
        field.help_text = f"Blank: {claude} s with Claude, {own} s otherwise" if offers_claude else f"Blank: {own} s"
        field.widget.attrs["placeholder"] = f"default ({own} s{f', Claude {claude} s' if offers_claude else ''})"


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class OverrideForm(forms.Form):
    quantity = forms.CharField(max_length=40)
    order_type = forms.ChoiceField(choices=[("market", "Market"), ("limit", "Limit"), ("post_only", "Post-only")])
    limit_price = forms.CharField(max_length=40, required=False)
    tif = forms.ChoiceField(choices=[("", "default"), ("GTC", "GTC"), ("IOC", "IOC")], required=False)
    reason = forms.CharField(max_length=2000)
