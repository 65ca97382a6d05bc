"""The order's own terms applied to its strategy's decision, in one order for desk, backtest and the rules
advisor: the catch-up cap first (execdesk.domain.catchup), then the end-time policy near and past the
deadline (execdesk.domain.end_policy: finish's last-interval cross is capped by the risk gate, not by the
catch-up cap; continue's slice past the deadline is its last rate)."""

from __future__ import annotations

from execdesk.domain.catchup import catchup_cap, catchup_capped
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


def in_final_stretch(end_policy: EndPolicy, progress: OrderProgress, interval_s: float) -> bool:
    """Where the end policy sizes the slice rather than the catch-up cap: finish's last interval and
    everything past the deadline."""
    left = progress.deadline - progress.now
    return left <= 0 or (end_policy is EndPolicy.FINISH and left <= interval_s + 1e-9)


def finish_crosses_now(end_policy: EndPolicy, progress: OrderProgress, interval_s: float) -> bool:
    """Whether the finish policy's last cross is due: whatever an advisor proposes to send now, the order
    crosses what remains (sized by the risk gate's limits), as the policy promises."""
    return end_policy is EndPolicy.FINISH and progress.remaining > 0 and in_final_stretch(end_policy, progress,
                                                                                        interval_s)


def order_catchup_cap(*, strategy: Strategy, progress: OrderProgress, interval_s: float, end_policy: EndPolicy,
                      max_catchup: float, instrument: Instrument, market: MarketSnapshot) -> float | None:
    """The largest child order the catch-up cap allows now (None: it does not apply now)."""
    return catchup_cap(strategy, progress, max_catchup=max_catchup,
                       floor=smallest_order(instrument, market, progress.side),
                       final=in_final_stretch(end_policy, progress, interval_s))


def order_terms_shaped(decision: StrategyDecision, *, strategy: Strategy, progress: OrderProgress,
                       interval_s: float, end_policy: EndPolicy, max_catchup: float,
                       instrument: Instrument, market: MarketSnapshot) -> StrategyDecision:
    capped = catchup_capped(decision, strategy=strategy, progress=progress, max_catchup=max_catchup,
                            floor=smallest_order(instrument, market, progress.side))
    return end_shaped(capped, policy=end_policy, progress=progress, interval_s=interval_s, strategy=strategy)
