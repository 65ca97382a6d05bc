from __future__ import annotations

from django import forms

from execdesk.desk.models import ApprovalMode, Strategy
from execdesk.domain.instrument import SIM_INSTRUMENTS


class ParentOrderForm(forms.Form):
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
