"""The IS efficient frontier on the pre-trade panel, drawn server-side as a small SVG: expected cost (bps of
the notional) against its standard deviation, the urgency levels marked and the chosen point ringed."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

WIDTH, HEIGHT, PAD = 320, 180, 34


@register.simple_tag
def frontier_svg(is_plan: dict[str, Any]) -> SafeString | str:
    points = [p for p in is_plan.get("frontier") or [] if _finite(p, "sd_bps", "expected_cost_bps")]
    chosen = is_plan.get("chosen") or {}
    if len(points) < 2 or not _finite(chosen, "sd_bps", "expected_cost_bps"):
        return ""
    xs = [p["sd_bps"] for p in points] + [chosen["sd_bps"]]
    ys = [p["expected_cost_bps"] for p in points] + [chosen["expected_cost_bps"]]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def at(p: dict[str, Any]) -> tuple[float, float]:
        x = PAD + (p["sd_bps"] - x0) / ((x1 - x0) or 1.0) * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (p["expected_cost_bps"] - y0) / ((y1 - y0) or 1.0) * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    line = " ".join(f"{x},{y}" for x, y in map(at, points))
    levels = format_html_join("", '<circle cx="{}" cy="{}" r="3" class="frontier-level"><title>{}</title></circle>'
                              '<text x="{}" y="{}" class="frontier-label">{}</text>',
                              ((*at(p), f"{p['label']}: {p['expected_cost_bps']:.2f} bps ± {p['sd_bps']:.1f}",
                                at(p)[0] + 5, at(p)[1] - 5, p["label"]) for p in points if p.get("label")))
    cx, cy = at(chosen)
    return format_html(
        '<svg id="is-frontier" class="frontier" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="Efficient frontier: expected cost against risk">'
        '<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="1.5"/>{levels}'
        '<circle id="is-frontier-chosen" cx="{cx}" cy="{cy}" r="6" fill="none" stroke="#d62728" stroke-width="2">'
        '<title>chosen: {cost} bps ± {sd} bps</title></circle>'
        '<text x="{pad}" y="{h2}" class="frontier-axis">risk (1 sd, bps) {x0} … {x1}</text>'
        '<text x="4" y="14" class="frontier-axis">expected cost (bps) {y0} … {y1}</text></svg>',
        w=WIDTH, h=HEIGHT, line=line, levels=levels, cx=cx, cy=cy, cost=f"{chosen['expected_cost_bps']:.2f}",
        sd=f"{chosen['sd_bps']:.1f}", pad=PAD, h2=HEIGHT - 6, x0=f"{x0:.1f}", x1=f"{x1:.1f}", y0=f"{y0:.2f}",
        y1=f"{y1:.2f}")


def _finite(point: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(point.get(k), int | float) and math.isfinite(point[k]) for k in keys)
