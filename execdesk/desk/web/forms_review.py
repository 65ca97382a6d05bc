"""Query-string forms of the audit review: the order filter and the export range. Times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model

from execdesk.desk.selectors.audit import OUTCOMES, ReviewFilters
from execdesk.desk.services.parent_orders import ADVISORS

_DAY = "%Y-%m-%d"
_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", _DAY)


class WhenField(forms.CharField):
    """A day (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[:SS]), UTC. A day given as the end of a range
    includes that whole day."""

    def __init__(self, *, end: bool = False, **kwargs) -> None:
        self.end = end
        super().__init__(required=False, max_length=32, **kwargs)

    def clean(self, value: str | None) -> datetime | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        for fmt in _FORMATS:
            try:
                when = datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
            return when + timedelta(days=1) if fmt == _DAY and self.end else when
        raise forms.ValidationError(f"{text!r} is not a day (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM), UTC")


class _Range(forms.Form):
    start_field = "since"
    end_field = "until"

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get(self.start_field), data.get(self.end_field)
        if start is not None and end is not None and start >= end:
            raise forms.ValidationError(f"'{self.start_field}' must be before '{self.end_field}'")
        return data


def _traders() -> list[tuple[str, str]]:
    names = (get_user_model().objects.filter(parent_orders__isnull=False).distinct()
             .order_by("username").values_list("username", flat=True))
    return [("", "any trader"), *((n, n) for n in names)]


class ReviewFilterForm(_Range):
    start_field = "from"
    end_field = "to"

    trader = forms.ChoiceField(choices=_traders, required=False,
                               error_messages={"invalid_choice": "no orders were created by %(value)s"})
    advisor = forms.ChoiceField(choices=[("", "any advisor"), *((a, a) for a in ADVISORS)], required=False)
    outcome = forms.ChoiceField(choices=[("", "any outcome"), *((o, o) for o in OUTCOMES)], required=False,
                                help_text="orders with at least one proposal of this outcome")
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a keyword: declared here, not as a class attribute
        self.fields["from"] = WhenField(label="From")
        self.fields["to"] = WhenField(end=True, label="To")
        self.order_fields(["trader", "advisor", "outcome", "from", "to", "page"])

    def filters(self) -> ReviewFilters:
        d = self.cleaned_data
        return ReviewFilters(trader=d["trader"], advisor=d["advisor"], outcome=d["outcome"], since=d["from"],
                             until=d["to"])


class ExportForm(_Range):
    order = forms.IntegerField(min_value=1, required=False,
                               error_messages={"invalid": "order must be a parent order id (a whole number)"})
    since = WhenField()
    until = WhenField(end=True)

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.errors and data.get("order") is None and data.get("since") is None and data.get("until") is None:
            raise forms.ValidationError("give ?order=<id> or a range ?since=YYYY-MM-DD[THH:MM]&until=…")
        return data


def form_errors(form: forms.Form) -> str:
    """All of a form's errors in one line, each named by its parameter."""
    parts = []
    for name, errors in form.errors.items():
        prefix = "" if name == "__all__" else f"{name}: "
        parts.append(prefix + " ".join(str(e) for e in errors))
    return "; ".join(parts)
