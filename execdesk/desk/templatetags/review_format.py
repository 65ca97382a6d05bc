"""Template filters of the audit review."""

from __future__ import annotations

from typing import Any

from django import template

from execdesk.desk.audit.describe import fmt_num

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """A quantity or price as written, without trailing zeros or exponent: 10.0000000000 -> 10."""
    return fmt_num(value)


@register.filter
def failed_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if not c.get("passed")]


@register.filter
def passed_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if c.get("passed")]
