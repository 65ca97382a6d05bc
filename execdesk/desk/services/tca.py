"""TCA of a parent order on the desk, by the same `domain.tca.tca_report` the backtest and the CLI use.

`parent_tca_refresh` is the only writer of a parent's `tca` and `is_bps`: `is_bps` is the report's
implementation shortfall (fees, the unfilled remainder's opportunity and completion cost included), so
the order page, blotter, review page, API and CLI all show one figure. It runs on every fill and once
more when the order ends (COMPLETE or CANCELLED), which fixes the final mark of the remainder: later
refreshes (a fill's markouts arriving) keep that final mid and completion cost.

Live there is no second market path to run TWAP on, so the TWAP counterfactual is estimated from the
market's mid TWAP over the window (the mids the desk recorded with each proposal), plus the half spread
and the taker fee TWAP would have paid. The market's VWAP, interval TWAP and volume come from the prints
the desk keeps over its working orders' windows (services/market_prints.py); without prints, the volume
is integrated from the proposals' snapshots of the 1-minute volume.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from execdesk.desk.models import Fill, MarketPrint, ParentOrder, Proposal
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.impact import ImpactModel
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.domain.tca import (
    CompletionCost,
    ExecutionRecord,
    TCAFill,
    TCAInputError,
    TCAReport,
    completion_cost,
    market_twap_counterfactual_bps,
)
from execdesk.domain.tca import tca_report as domain_tca_report
from execdesk.domain.tca_fills import DEFAULT_COMPLETION_MODEL
from execdesk.venues.paper import PaperFees

log = logging.getLogger(__name__)

_FINAL_KEY = "final_mark"  # in a terminal order's stored report: the mid and completion cost fixed at its end


def taker_fee_bps() -> float:
    return float(PaperFees().taker) * 1e4


def parent_tca_refresh(parent: ParentOrder, market: MarketSnapshot | None = None, *, final: bool = False) -> None:
    """Recompute and store the parent's TCA (`tca`) and its IS (`is_bps`, the report's). ``final``: the order
    just ended; its mid and completion cost now are the final mark. Call with the parent locked."""
    if market is None:
        market = final_snapshot(parent)
    report = parent_tca(parent, market, final=final)
    if report is None:
        return
    data = report.to_dict()
    stored = dict(parent.tca or {})
    if final or _FINAL_KEY in stored:
        data[_FINAL_KEY] = stored.get(_FINAL_KEY) if not final and stored.get(_FINAL_KEY) else {
            "final_mid": report.final_mid, "completion": _completion_dict(report)}
    parent.tca = data
    parent.is_bps = report.is_bps
    parent.save(update_fields=["tca", "is_bps"])


def final_snapshot(parent: ParentOrder) -> MarketSnapshot:
    """The order's market without taking the market row's lock (the parent's is held): an in-process
    venue's last saved snapshot, a live venue's cached one."""
    gateway = gateway_for(parent.venue)
    return gateway.snapshot(parent.symbol) if gateway.fills_on_advance else gateway.snapshot_cached(parent)


def parent_tca(parent: ParentOrder, market: MarketSnapshot, *, final: bool = False,
               model: ImpactModel | None = None) -> TCAReport | None:
    """The TCA report of the parent now; None before it starts or when its record cannot be analysed."""
    if parent.started_at is None:
        return None
    fills = list(Fill.objects.filter(parent=parent).select_related("child").order_by("ts", "id"))
    samples = list(Proposal.objects.filter(parent=parent).order_by("seq").values_list("created_at", "market"))
    start = parent.started_at.timestamp()
    end = max([f.ts.timestamp() for f in fills] + [start])
    if parent.ended_at is not None and parent.state.is_terminal:
        end = max(end, parent.ended_at.timestamp())
    mids = [m["mid"] for _, m in samples if m and m.get("mid")]
    prints = _prints(parent, start, end)
    final_mid, completion = _mark(parent, market, fills, final=final, model=model or DEFAULT_COMPLETION_MODEL)
    try:
        record = ExecutionRecord(
            # the model's side is "buy"/"sell"; the domain coerces it to Side and refuses anything else
            side=cast(Side, parent.side), quantity=float(parent.quantity), decision_price=float(parent.decision_price),
            started_at=start, deadline=(parent.deadline or parent.started_at).timestamp(), final_mid=final_mid,
            arrival_mid=mids[0] if mids else None, ended_at=end, fills=tuple(_fill(f) for f in fills),
            market_trades=prints, market_volume=None if prints else _market_volume(samples, end),
            completion=completion,
        )
        twap = market_twap_counterfactual_bps(parent.side, float(parent.decision_price), mids,
                                              half_spread_bps=market.spread_bps / 2,
                                              fees_bps=taker_fee_bps()) if mids else None
        return domain_tca_report(record, twap_is_bps=twap, twap_method="estimated from the market's mid TWAP")
    except (TCAInputError, ValueError) as exc:
        log.warning("TCA of parent order %s failed: %s", parent.pk, exc)
        return None


def _mark(parent: ParentOrder, market: MarketSnapshot, fills: list[Fill], *, final: bool,
          model: ImpactModel) -> tuple[float, CompletionCost]:
    """The mid marking the unfilled remainder and what completing it costs: fixed at the order's end."""
    stored = (parent.tca or {}).get(_FINAL_KEY)
    if stored and not final and parent.state.is_terminal:
        c = stored["completion"]
        return float(stored["final_mid"]), CompletionCost(c["half_spread_bps"], c["fee_bps"], c["impact_bps"],
                                                          model=c.get("model", ""), note=c.get("note", ""))
    remaining = max(float(parent.quantity) - sum(float(f.qty) for f in fills), 0.0)
    # finishing at the end takes one interval; a working order still has until its deadline
    duration = float(parent.interval_seconds)
    if not final and not parent.state.is_terminal and parent.deadline is not None:
        duration = max(duration, parent.deadline.timestamp() - market.ts)
    return market.mid, completion_cost(remaining, market=market, model=model, fee_bps=taker_fee_bps(),
                                       duration_s=duration)


def _completion_dict(report: TCAReport) -> dict[str, Any]:
    return {"half_spread_bps": report.completion_half_spread_bps, "fee_bps": report.completion_fee_bps,
            "impact_bps": report.completion_impact_bps, "model": report.completion_model}


def _fill(f: Fill) -> TCAFill:
    def num(v) -> float | None:
        return None if v is None else float(v)

    return TCAFill(qty=float(f.qty), price=float(f.price), ts=f.ts.timestamp(), fee=float(f.fee),
                   liquidity=f.liquidity, mid=num(f.mid), mid_1s=num(f.mid_1s), mid_10s=num(f.mid_10s),
                   mid_60s=num(f.mid_60s))


def _prints(parent: ParentOrder, start: float, end: float) -> tuple[Trade, ...] | None:
    """The market's prints over the order's window, ours excluded, when the desk kept them (None: not
    recorded). A venue's public tape (Bybit's) carries our own taker and maker fills too: a print with the
    time (to the millisecond), price and quantity of one of our fills on the market is that fill, once."""
    window = {"ts__gte": datetime.fromtimestamp(start, tz=UTC), "ts__lte": datetime.fromtimestamp(end, tz=UTC)}
    rows = list(MarketPrint.objects.filter(venue=parent.venue, symbol=parent.symbol, **window)
                .order_by("ts", "id").values_list("ts", "price", "qty", "side"))
    ours = Counter(_print_key(ts, price, qty) for ts, price, qty in Fill.objects.filter(
        parent__venue=parent.venue, parent__symbol=parent.symbol, **window).values_list("ts", "price", "qty"))
    trades = []
    for ts, price, qty, side in rows:
        key = _print_key(ts, price, qty)
        if ours[key]:
            ours[key] -= 1
            continue
        trades.append(Trade(ts.timestamp(), float(price), float(qty), side))
    return tuple(trades) or None


def _print_key(ts: datetime, price: Decimal, qty: Decimal) -> tuple[int, Decimal, Decimal]:
    return round(ts.timestamp() * 1000), price.normalize(), qty.normalize()


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
