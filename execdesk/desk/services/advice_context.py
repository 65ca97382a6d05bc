"""What the Claude advisor is asked about: the order's step context and its pre-trade impact inputs,
read fresh when the question is asked (outside any transaction: a Bybit snapshot may be a network read)."""

from __future__ import annotations

from typing import Any

from execdesk.advisors.base import AdvisorContext
from execdesk.desk.models import ParentOrder
from execdesk.desk.services.context import advisor_context, order_progress
from execdesk.desk.services.market import instrument_for, market_snapshot
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot


def decision_context(parent: ParentOrder,
                     live: tuple[MarketSnapshot, Instrument] | None = None) -> AdvisorContext:
    """The step's context: `live` is a market already read (a live venue's, read before the step's
    transaction); without it the order's market is read here."""
    snap, instrument = live or (market_snapshot(parent.symbol, parent.venue), instrument_for(parent.symbol, parent.venue))
    return advisor_context(parent, snap, instrument, order_progress(parent))


def impact_inputs(parent: ParentOrder) -> dict[str, Any]:
    pre = parent.pretrade or {}
    m = market_snapshot(parent.symbol, parent.venue)
    market_text = (f"mid {m.mid:,.2f}, spread {m.spread_bps:.2f} bps, 5-level depth bid {m.bid_depth:g} / ask "
                   f"{m.ask_depth:g} (imbalance {m.imbalance:+.2f}), 1-min volume {m.volume_1m:g}, 1-h volume "
                   f"{m.volume_1h:g}, 1-h volatility {m.volatility_1h * 100:.2f}%, funding "
                   f"{m.funding_rate * 100:.4f}% per 8 h, open interest {m.oi_change_1h * 100:+.2f}% over 1 h; "
                   f"expected participation {pre.get('participation', 0) * 100:.1f}% over "
                   f"{pre.get('expected_duration_s', parent.horizon_seconds):,.0f} s")
    base = float(pre.get("temporary_bps", 0.0)) + float(pre.get("permanent_bps", 0.0))
    return {"symbol": parent.symbol, "side": parent.side, "quantity": float(parent.quantity),
            "horizon_s": float(parent.horizon_seconds), "market_text": market_text, "base_bps": base,
            "base_model": str(pre.get("model", "the desk's impact model")), "notes": parent.notes}
