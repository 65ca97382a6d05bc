from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import HARD, SOFT, RiskLimits, evaluate


def _market(spread_ticks: int = 2, vol: float = 0.01, volume_1m: float = 9.0, stale: bool = False) -> MarketSnapshot:
    bid, ask = 65000.0, 65000.0 + spread_ticks * 0.1
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=(bid + ask) / 2, best_bid=bid, best_ask=ask,
                          bids=tuple(Level(bid - i * 0.1, 1.0) for i in range(5)),
                          asks=tuple(Level(ask + i * 0.1, 1.0) for i in range(5)),
                          volume_1m=volume_1m, volatility_1h=vol, stale=stale)


def _progress(**kw) -> OrderProgress:
    base = dict(symbol="BTCUSDT", side=Side.BUY, quantity=2.0, executed=0.0, decision_price=65000.0,
                started_at=0.0, deadline=600.0, now=100.0)
    base.update(kw)
    return OrderProgress(**base)


def _draft(qty: float = 0.05, order_type=OrderType.MARKET, price=None, action=Action.AGGRESSIVE) -> ProposalDraft:
    return ProposalDraft(advisor="test", action=action, quantity=qty, order_type=order_type, limit_price=price,
                         reasoning="r", confidence=0.5, tif=TimeInForce.IOC)


def _failed(verdict):
    return {c.code: c for c in verdict.checks if not c.passed}


def _eval(draft, market=None, progress=None, interval=10.0, is_bps=None):
    return evaluate(draft, progress=progress or _progress(), market=market or _market(), instrument=BTCUSDT,
                    limits=RiskLimits(), interval_s=interval, is_bps=is_bps)


def test_a_modest_market_slice_passes_every_check():
    verdict = _eval(_draft())
    assert not verdict.blocked, verdict.summary
    assert verdict.summary.startswith("all ")


def test_crossing_a_wide_spread_is_a_hard_block_with_its_figures():
    failed = _failed(_eval(_draft(), market=_market(spread_ticks=2000)))
    assert failed["max_spread"].severity == HARD
    assert failed["max_spread"].figures["spread_bps"] > 20


def test_participation_above_ten_percent_of_expected_volume_blocks():
    failed = _failed(_eval(_draft(qty=1.0), market=_market(volume_1m=6.0)))
    assert "max_participation" in failed
    assert failed["max_participation"].figures["participation"] > 0.10


def test_order_notional_above_the_per_child_cap_blocks():
    failed = _failed(_eval(_draft(qty=8.0), progress=_progress(quantity=10.0), market=_market(volume_1m=1e6)))
    assert "max_order_notional" in failed


def test_high_volatility_stops_even_a_wait():
    verdict = _eval(_draft(qty=0, order_type=None, action=Action.WAIT), market=_market(vol=0.06))
    assert verdict.blocked and "max_volatility" in _failed(verdict)


def test_orders_closer_than_five_seconds_block():
    failed = _failed(_eval(_draft(), progress=_progress(last_order_at=97.0)))
    assert failed["min_order_interval"].figures["seconds_since_last"] == 3.0


def test_limit_price_far_from_the_mid_blocks():
    failed = _failed(_eval(_draft(order_type=OrderType.LIMIT, price=63000.0, action=Action.PASSIVE)))
    assert failed["price_band"].figures["deviation_bps"] > 100


def test_more_than_remaining_or_below_minimums_blocks():
    failed = _failed(_eval(_draft(qty=2.5), market=_market(volume_1m=1e6)))
    assert "within_remaining" in failed
    failed = _failed(_eval(_draft(qty=0.0004)))
    assert "instrument_minimums" in failed


def test_shortfall_above_alert_is_only_a_warning():
    verdict = _eval(_draft(), is_bps=75.0)
    assert not verdict.blocked
    assert [c.code for c in verdict.warnings] == ["is_alert"]
    assert verdict.warnings[0].severity == SOFT


def test_stale_market_refuses_aggressive_orders():
    assert "fresh_market" in _failed(_eval(_draft(), market=_market(stale=True)))
