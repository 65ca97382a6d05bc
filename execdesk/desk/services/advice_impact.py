"""Claude's impact multiplier applied to the order's pre-trade estimate (the seed's LLM-enhanced model:
impact_final = impact_base × factor, the factor clamped to [0.5, 2.0]). The base estimate is kept beside
the adjusted one, so the trader sees both and the reason."""

from __future__ import annotations

from execdesk.advisors.anthropic import ImpactView
from execdesk.desk.models import ParentOrder
from execdesk.desk.realtime.payloads import progress_payload
from execdesk.desk.realtime.push import push_order


def impact_apply(parent_id: int, view: ImpactView) -> None:
    """Record the multiplier (or why there is none) on the order's pre-trade estimate. Inside desk_atomic()."""
    parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
    pre = dict(parent.pretrade or {})
    if view.applied is None:
        pre["llm_adjustment"] = {"error": view.error}
    else:
        base_impact = float(pre.get("temporary_bps", 0.0)) + float(pre.get("permanent_bps", 0.0))
        fixed = float(pre.get("half_spread_bps", 0.0)) + float(pre.get("fee_bps", 0.0))
        pre["llm_adjustment"] = {
            "raw": view.multiplier, "applied": view.applied, "clamped": view.applied != view.multiplier,
            "reasoning": view.reasoning, "base_impact_bps": round(base_impact, 4),
            "impact_bps": round(base_impact * view.applied, 4),
            "expected_cost_bps": round(fixed + base_impact * view.applied, 4),
        }
    parent.pretrade = pre
    parent.save(update_fields=["pretrade"])
    push_order(parent.pk, "progress", progress_payload(parent))  # the "advisor" push that follows carries it
