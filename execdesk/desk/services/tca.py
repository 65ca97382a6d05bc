"""TCA of a parent order on the desk, by the same `domain.tca.tca_report` the backtest and the CLI use.

Live there is no second market path to run TWAP on, so the TWAP counterfactual is estimated from the
market's mid TWAP over the window (the mids the desk recorded with each proposal), plus the half spread
and the taker fee TWAP would have paid. The market's volume over the window is integrated from those
snapshots' 1-minute volume; the desk keeps no tape of market prints, so VWAP slippage stays undefined.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from execdesk.desk.models import Fill, ParentOrder, Proposal
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.tca import (
    ExecutionRecord,
    TCAFill,
    TCAInputError,
    TCAReport,
    market_twap_counterfactual_bps,
)
from execdesk.domain.tca import tca_report as domain_tca_report
from execdesk.venues.paper import PaperFees

log = logging.getLogger(__name__)


def parent_tca(parent: ParentOrder, market: MarketSnapshot) -> TCAReport | None:
    if parent.started_at is None:
        return None
    fills = list(Fill.objects.filter(parent=parent).select_related("child").order_by("ts", "id"))
    samples = list(Proposal.objects.filter(parent=parent).order_by("seq").values_list("created_at", "market"))
    start = parent.started_at.timestamp()
    end = max([f.ts.timestamp() for f in fills] + [start])
    mids = [m["mid"] for _, m in samples if m and m.get("mid")]
    volume = _market_volume(samples, end)
    try:
        record = ExecutionRecord(
            # the model's side is "buy"/"sell"; the domain coerces it to Side and refuses anything else
            side=cast(Side, parent.side), quantity=float(parent.quantity), decision_price=float(parent.decision_price),
            started_at=start, deadline=(parent.deadline or parent.started_at).timestamp(), final_mid=market.mid,
            arrival_mid=mids[0] if mids else None, ended_at=end,
            fills=tuple(TCAFill(qty=float(f.qty), price=float(f.price), ts=f.ts.timestamp(), fee=float(f.fee),
                                liquidity=f.liquidity,
                                mid=float(f.child.mid_at_send) if f.child.mid_at_send else None) for f in fills),
            market_volume=volume,
        )
        twap = market_twap_counterfactual_bps(parent.side, float(parent.decision_price), mids,
                                              half_spread_bps=market.spread_bps / 2,
                                              fees_bps=float(PaperFees().taker) * 1e4) if mids else None
        return domain_tca_report(record, twap_is_bps=twap, twap_method="estimated from the market's mid TWAP")
    except TCAInputError as exc:
        log.warning("TCA of parent order %s failed: %s", parent.pk, exc)
        return None


def _market_volume(samples: list[tuple[Any, dict]], end: float) -> float | None:
    total, seen = 0.0, False
    for i, (at, market) in enumerate(samples):
        if not market or "volume_1m" not in market:
            continue
        until = samples[i + 1][0].timestamp() if i + 1 < len(samples) else end
        span = max(until - at.timestamp(), 0.0)
        total += float(market["volume_1m"]) / 60 * span
        seen = True
    return total if seen else None
