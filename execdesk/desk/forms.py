from __future__ import annotations

from django import forms

from execdesk.desk.models import ApprovalMode, Strategy
from execdesk.domain.instrument import SIM_INSTRUMENTS


def venue_choices() -> list[tuple[str, str]]:
    """The paper venue always; Bybit when the desk has credentials (labelled with its environment)."""
    from execdesk.desk.bybit_link import bybit_status

    choices = [("paper", "Paper venue · simulated market")]
    ok, banner = bybit_status()
    if ok:
        choices.append(("bybit", f"Bybit · {banner}"))
    return choices


class ParentOrderForm(forms.Form):
    venue = forms.ChoiceField(choices=venue_choices, initial="paper",
                              help_text="Where the child orders go; Bybit appears when its keys are set")
    symbol = forms.ChoiceField(choices=[(s, s) for s in sorted(SIM_INSTRUMENTS)], initial="BTCUSDT")
    side = forms.ChoiceField(choices=[("buy", "Buy"), ("sell", "Sell")])
    quantity = forms.DecimalField(min_value=0, max_digits=20, decimal_places=10, initial="0.5",
                                  help_text="Base asset quantity, a multiple of the instrument's step")
    horizon_seconds = forms.IntegerField(min_value=30, initial=600, label="Horizon (s)")
    interval_seconds = forms.IntegerField(min_value=5, initial=10, label="Decision interval (s)")
    strategy = forms.ChoiceField(choices=Strategy.choices, initial=Strategy.TWAP)
    randomise_pct = forms.DecimalField(min_value=0, max_value=50, max_digits=4, decimal_places=1, initial=0,
                                       required=False, label="Randomise slices (%)",
                                       help_text="TWAP/adaptive: jitter slice size and timing to be harder to detect")
    approval_mode = forms.ChoiceField(choices=ApprovalMode.choices, initial=ApprovalMode.MANUAL)
    auto_cap_notional = forms.DecimalField(min_value=0, max_digits=20, decimal_places=2, initial=0, required=False,
                                           label="Auto-approve cap (USDT)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000,
                            label="Notes / news for the advisor")


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class OverrideForm(forms.Form):
    quantity = forms.CharField(max_length=40)
    order_type = forms.ChoiceField(choices=[("market", "Market"), ("limit", "Limit"), ("post_only", "Post-only")])
    limit_price = forms.CharField(max_length=40, required=False)
    tif = forms.ChoiceField(choices=[("", "default"), ("GTC", "GTC"), ("IOC", "IOC")], required=False)
    reason = forms.CharField(max_length=2000)
