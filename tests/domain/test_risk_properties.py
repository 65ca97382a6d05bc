"""The risk gate never passes an order that breaks a hard limit (hypothesis, drafts around every limit).

`_hard_breaks` is an independent statement of the seed's hard limits (and the instrument's and the
desk's); drafts are drawn near each limit, well inside it, far outside it, and as non-finite numbers.
"""

import math
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import RiskLimits, TradingState, evaluate

LIMITS = RiskLimits()
NOW = 1_767_225_600.0
MID = 65_000.0
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def _around(limit: float, *, low: float = 0.0, high_factor: float = 3.0) -> st.SearchStrategy[float]:
    """Right at the limit, within 2 % of it either side, or anywhere in [low, 3 × limit]."""
    return st.one_of(st.just(limit), st.floats(limit * 0.98, limit * 1.02),
                     st.floats(low, limit * high_factor))


# Each case probes one limit (or all at once, "chaos") and keeps the others well inside theirs, so every
# limit is exercised on its own as well as in combination.
PROBES = ("state", "numbers", "order_type", "spread", "price_band", "notional", "minimums", "remaining",
          "participation", "interval", "orders_per_minute", "volatility", "stale", "chaos")


@st.composite
def cases(draw):
    focus = draw(st.sampled_from(PROBES))

    def pick(name, inside, probe):
        return draw(probe if focus in (name, "chaos") else inside)

    side = draw(st.sampled_from(Side))
    spread_bps = pick("spread", st.floats(0.0, 15.0), _around(LIMITS.max_spread_bps))
    half = MID * spread_bps / 2e4
    price = MID + half if side is Side.BUY else MID - half  # the touch a market order takes
    order_type = pick("order_type", st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.POST_ONLY]),
                      st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.POST_ONLY, None]))
    limit_price = None
    wants_price = order_type in (OrderType.LIMIT, OrderType.POST_ONLY)
    if pick("order_type", st.just(wants_price), st.booleans()) or order_type is OrderType.LIMIT:
        deviation = pick("price_band", st.floats(0.0, 80.0), _around(LIMITS.max_price_deviation_bps))
        limit_price = MID * (1 + deviation * draw(st.sampled_from([-1, 1])) / 1e4)
        limit_price = pick("numbers", st.just(limit_price), st.just(limit_price) | NON_FINITE)
        if math.isfinite(limit_price):
            price = limit_price
    notional = pick("notional", st.floats(100.0, 50_000.0), _around(LIMITS.max_order_notional, high_factor=1.5))
    notional = pick("minimums", st.just(notional), st.just(notional) | _around(float(BTCUSDT.min_notional)))
    qty = notional / price
    qty = pick("minimums", st.just(qty), st.just(qty) | st.sampled_from([0.0, -0.01]) | _around(float(BTCUSDT.min_qty)))
    qty = pick("numbers", st.just(qty), NON_FINITE | st.just(1e30))
    interval = draw(st.floats(0.5, 120.0))
    participation = pick("participation", st.floats(1e-4, 0.05), _around(LIMITS.max_participation, low=1e-4,
                                                                          high_factor=1.0))
    expected = abs(qty) * (1 - participation) / participation if math.isfinite(qty) and qty else 1.0
    volume_1m = pick("participation", st.just(expected * 60 / max(interval, 1.0)),
                     st.just(expected * 60 / max(interval, 1.0)) | st.floats(0.0, 1e4))
    remaining_factor = pick("remaining", st.floats(1.5, 10.0), _around(1.0, low=0.5, high_factor=10.0))
    quantity = abs(qty) * remaining_factor if math.isfinite(qty) and qty != 0 else 1.0
    gap = pick("interval", st.none() | st.floats(6.0, 600.0), st.none() | _around(LIMITS.min_order_interval_s,
                                                                                   low=-1.0))
    market = MarketSnapshot(
        symbol="BTCUSDT", ts=NOW, mid=MID, best_bid=MID - half, best_ask=MID + half,
        bids=(Level(MID - half, 5.0),), asks=(Level(MID + half, 5.0),), volume_1m=volume_1m,
        volatility_1h=pick("volatility", st.floats(0.0, 0.04), _around(LIMITS.max_volatility_1h)),
        stale=pick("stale", st.just(False), st.booleans()))
    progress = OrderProgress(
        symbol="BTCUSDT", side=side, quantity=quantity, executed=0.0, decision_price=MID, started_at=NOW - 60,
        deadline=NOW + 600, now=NOW, last_order_at=None if gap is None else NOW - gap,
        orders_last_minute=pick("orders_per_minute", st.integers(0, LIMITS.max_orders_per_minute - 5),
                                st.integers(LIMITS.max_orders_per_minute - 3, 2 * LIMITS.max_orders_per_minute)))
    action = draw(st.sampled_from([a for a in Action if a.sends_order]))
    draft = ProposalDraft(advisor="prop", action=action, quantity=qty, order_type=order_type,
                          limit_price=limit_price, reasoning="r", confidence=0.5, tif=TimeInForce.GTC)
    state = pick("state", st.just(TradingState.ACTIVE), st.sampled_from(TradingState))
    reducing = -qty * side.sign if math.isfinite(qty) else 0.0
    net_position = pick("state", st.floats(-2.0, 2.0), st.floats(-2.0, 2.0) | st.just(reducing))
    return draft, progress, market, interval, state, net_position


def _hard_breaks(draft, progress, market, interval, state, net_position) -> list[str]:
    broken = []
    qty, limit = draft.quantity, draft.limit_price
    if state is TradingState.HALTED:
        broken.append("halted")
    if not math.isfinite(qty) or (limit is not None and not math.isfinite(limit)):
        return broken + ["non-finite"]
    signed = qty * progress.side.sign
    if state is TradingState.REDUCING and not (net_position * signed < 0 and abs(signed) <= abs(net_position)):
        broken.append("increases the position while reducing")
    if draft.order_type is None:
        broken.append("no order type")
    if draft.order_type in (OrderType.LIMIT, OrderType.POST_ONLY) and limit is None:
        broken.append("limit order without a price")
    touch = market.best_ask if progress.side is Side.BUY else market.best_bid
    price = limit if limit is not None else touch
    if qty <= 0:
        broken.append("quantity")
    if qty > progress.remaining * (1 + 1e-9):  # the gate's documented tolerance for float dust
        broken.append("more than remains")
    if qty * price > LIMITS.max_order_notional:
        broken.append("notional")
    if qty > 0:
        steps = (Decimal(repr(qty)) / BTCUSDT.qty_step).to_integral_value(rounding=ROUND_DOWN) \
            if qty < 1e20 else Decimal(0)
        snapped = steps * BTCUSDT.qty_step
        if snapped < BTCUSDT.min_qty or float(snapped) * price < float(BTCUSDT.min_notional):
            broken.append("instrument minimums")
    expected = market.volume_1m / 60.0 * max(interval, 1.0)
    if qty > 0 and qty / (qty + expected) > LIMITS.max_participation:
        broken.append("participation")
    if progress.last_order_at is not None and progress.now - progress.last_order_at < LIMITS.min_order_interval_s:
        broken.append("order interval")
    if progress.orders_last_minute >= LIMITS.max_orders_per_minute:
        broken.append("orders per minute")
    crosses = draft.order_type is OrderType.MARKET or (
        limit is not None and (limit >= market.best_ask if progress.side is Side.BUY else limit <= market.best_bid))
    if crosses and market.spread_bps > LIMITS.max_spread_bps:
        broken.append("spread")
    if crosses and market.stale:
        broken.append("stale market")
    if limit is not None and abs(limit - market.mid) / market.mid * 1e4 > LIMITS.max_price_deviation_bps:
        broken.append("price band")
    if market.volatility_1h > LIMITS.max_volatility_1h:
        broken.append("volatility")
    return broken


def _evaluate(draft, progress, market, interval, state, net_position):
    return evaluate(draft, progress=progress, market=market, instrument=BTCUSDT, limits=LIMITS, interval_s=interval,
                    trading_state=state, net_position=net_position)


@settings(max_examples=1500, deadline=None)
@given(case=cases())
def test_the_gate_never_passes_an_order_that_breaks_a_hard_limit(case):
    broken = _hard_breaks(*case)
    verdict = _evaluate(*case)
    if broken:
        assert verdict.blocked, f"breaks {broken} but passed: {verdict.to_list()}"
    else:  # and it is no wall that blocks everything: within every limit, it passes
        assert not verdict.blocked, verdict.summary


@settings(max_examples=300, deadline=None)
@given(qty=st.floats(0.01, 1.0), side=st.sampled_from(Side), passive=st.booleans(),
       gap=st.none() | st.floats(5.0, 600.0), orders=st.integers(0, LIMITS.max_orders_per_minute - 1),
       spread_bps=st.floats(0.0, 19.0), vol=st.floats(0.0, 0.049))
def test_an_order_comfortably_inside_every_limit_passes(qty, side, passive, gap, orders, spread_bps, vol):
    half = MID * spread_bps / 2e4
    market = MarketSnapshot(symbol="BTCUSDT", ts=NOW, mid=MID, best_bid=MID - half, best_ask=MID + half,
                            bids=(Level(MID - half, 5.0),), asks=(Level(MID + half, 5.0),), volume_1m=qty * 100,
                            volatility_1h=vol)
    progress = OrderProgress(symbol="BTCUSDT", side=side, quantity=2.0, executed=0.0, decision_price=MID,
                             started_at=NOW - 60, deadline=NOW + 600, now=NOW,
                             last_order_at=None if gap is None else NOW - gap, orders_last_minute=orders)
    touch = market.best_bid if side is Side.BUY else market.best_ask
    draft = ProposalDraft(advisor="prop", action=Action.PASSIVE if passive else Action.AGGRESSIVE, quantity=qty,
                          order_type=OrderType.LIMIT if passive else OrderType.MARKET,
                          limit_price=touch if passive else None, reasoning="r", confidence=0.5,
                          tif=TimeInForce.GTC if passive else TimeInForce.IOC)
    case = (draft, progress, market, 60.0, TradingState.ACTIVE, 0.0)
    assert not _hard_breaks(*case)
    verdict = _evaluate(*case)
    assert not verdict.blocked, verdict.summary
