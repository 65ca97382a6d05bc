"""The backtest's execution record handed to the desk's one TCA function (execdesk.domain.tca)."""

from __future__ import annotations

from execdesk.backtest.execution import Execution
from execdesk.domain.impact import ImpactModel
from execdesk.domain.tca import ExecutionRecord, TCAFill, TCAReport, completion_cost, tca_report
from execdesk.domain.tca_fills import DEFAULT_COMPLETION_MODEL
from execdesk.venues.paper import PaperFees


def tca_of(run: Execution, *, twap_is_bps: float | None = None,
           completion_model: ImpactModel = DEFAULT_COMPLETION_MODEL) -> TCAReport:
    """The run's TCA: the unfilled remainder is charged its completion cost at the market where the run
    stopped (half spread + taker fee + ``completion_model``'s impact of one interval), as on the desk."""
    order = run.spec.order
    market_vwap = run.market_notional / run.market_volume if run.market_volume > 0 else None
    remaining = max(order.quantity - sum(f.qty for f in run.fills), 0.0)
    completion = None if run.final_market is None else completion_cost(
        remaining, market=run.final_market, model=completion_model, fee_bps=float(PaperFees().taker) * 1e4,
        duration_s=order.interval_s)
    record = ExecutionRecord(
        side=order.side, quantity=order.quantity, decision_price=run.decision_price, started_at=run.start_ts,
        deadline=run.start_ts + order.horizon_s, final_mid=run.final_mid, arrival_mid=run.arrival_mid,
        ended_at=max(run.end_ts, run.start_ts),
        fills=tuple(TCAFill(qty=f.qty, price=f.price, ts=f.ts, fee=f.fee, liquidity=f.liquidity, mid=f.mid,
                            mid_1s=f.mid_1s, mid_10s=f.mid_10s, mid_60s=f.mid_60s) for f in run.fills),
        market_volume=run.market_volume, market_vwap=market_vwap, completion=completion,
    )
    return tca_report(record, twap_is_bps=twap_is_bps,
                      twap_method="TWAP on the same market path" if twap_is_bps is not None else "")
