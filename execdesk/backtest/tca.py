"""The backtest's execution record handed to the desk's one TCA function (execdesk.domain.tca)."""

from __future__ import annotations

from execdesk.backtest.execution import Execution
from execdesk.domain.tca import ExecutionRecord, TCAFill, TCAReport, tca_report


def tca_of(run: Execution, *, twap_is_bps: float | None = None) -> TCAReport:
    order = run.spec.order
    market_vwap = run.market_notional / run.market_volume if run.market_volume > 0 else None
    record = ExecutionRecord(
        side=order.side, quantity=order.quantity, decision_price=run.decision_price, started_at=run.start_ts,
        deadline=run.start_ts + order.horizon_s, final_mid=run.final_mid, arrival_mid=run.arrival_mid,
        ended_at=max(run.end_ts, run.start_ts),
        fills=tuple(TCAFill(qty=f.qty, price=f.price, ts=f.ts, fee=f.fee, liquidity=f.liquidity, mid=f.mid)
                    for f in run.fills),
        market_volume=run.market_volume, market_vwap=market_vwap,
    )
    return tca_report(record, twap_is_bps=twap_is_bps,
                      twap_method="TWAP on the same market path" if twap_is_bps is not None else "")
