"""The order's own terms applied to its strategy's decision, in one order for desk, backtest and the rules
advisor: the catch-up cap first (execdesk.domain.catchup), then the end-time policy near and past the
deadline (execdesk.domain.end_policy: finish's last-interval cross is capped by the risk gate, not by the
catch-up cap; continue's slice past the deadline is its last rate)."""

from __future__ import annotations

from execdesk.domain.catchup import catchup_capped
from execdesk.domain.end_policy import EndPolicy, end_shaped
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import Strategy, StrategyDecision


def smallest_order(instrument: Instrument, market: MarketSnapshot, side: Side) -> float:
    """The smallest child order the instrument takes at the price we would cross at: its minimum quantity,
    or its minimum notional at that price, whichever is larger."""
    far = market.best_ask if side is Side.BUY else market.best_bid
    by_notional = float(instrument.min_notional) / far if far > 0 else 0.0
    return max(float(instrument.min_qty), by_notional)


def order_terms_shaped(decision: StrategyDecision, *, strategy: Strategy, progress: OrderProgress,
                       interval_s: float, end_policy: EndPolicy, max_catchup: float,
                       instrument: Instrument, market: MarketSnapshot) -> StrategyDecision:
    capped = catchup_capped(decision, strategy=strategy, progress=progress, max_catchup=max_catchup,
                            floor=smallest_order(instrument, market, progress.side))
    return end_shaped(capped, policy=end_policy, progress=progress, interval_s=interval_s, strategy=strategy)
