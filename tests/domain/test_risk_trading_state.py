from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import HARD, RiskLimits, TradingState, evaluate


def _market() -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=65000.05, best_bid=65000.0, best_ask=65000.1,
                          bids=(Level(65000.0, 5.0),), asks=(Level(65000.1, 5.0),), volume_1m=600.0,
                          volatility_1h=0.01)


def _eval(qty: float = 0.05, side: Side = Side.BUY, state: TradingState = TradingState.ACTIVE,
          net_position: float = 0.0, action: Action = Action.AGGRESSIVE):
    order = action.sends_order
    draft = ProposalDraft(advisor="test", action=action, quantity=qty if order else 0.0,
                          order_type=OrderType.MARKET if order else None, limit_price=None, reasoning="r",
                          confidence=0.5, tif=TimeInForce.IOC)
    progress = OrderProgress(symbol="BTCUSDT", side=side, quantity=2.0, executed=0.0, decision_price=65000.0,
                             started_at=0.0, deadline=600.0, now=100.0)
    return evaluate(draft, progress=progress, market=_market(), instrument=BTCUSDT, limits=RiskLimits(),
                    interval_s=10.0, trading_state=state, net_position=net_position)


def _state_check(verdict):
    return next(c for c in verdict.checks if c.code == "trading_state")


def test_active_allows_orders_and_is_the_default():
    verdict = _eval()
    assert not verdict.blocked, verdict.summary
    assert _state_check(verdict).passed and _state_check(verdict).figures["state"] == "ACTIVE"


def test_halted_blocks_every_order_with_the_state_in_its_figures():
    for side in Side:
        for net in (-1.0, 0.0, 1.0):
            verdict = _eval(side=side, state=TradingState.HALTED, net_position=net)
            check = _state_check(verdict)
            assert verdict.blocked and not check.passed and check.severity == HARD
            assert check.figures == {"state": "HALTED"} and "HALTED" in check.message


def test_halted_does_not_turn_a_wait_into_a_violation():
    assert not _eval(state=TradingState.HALTED, action=Action.WAIT).blocked


def test_reducing_allows_a_buy_that_covers_part_of_a_short():
    verdict = _eval(qty=0.05, side=Side.BUY, state=TradingState.REDUCING, net_position=-1.0)
    assert not verdict.blocked, verdict.summary
    assert _state_check(verdict).figures["position_after"] == -0.95


def test_reducing_allows_a_sell_that_closes_a_long_exactly():
    verdict = _eval(qty=0.05, side=Side.SELL, state=TradingState.REDUCING, net_position=0.05)
    assert not verdict.blocked, verdict.summary


def test_reducing_blocks_an_order_that_adds_to_the_position_and_says_why():
    check = _state_check(_eval(qty=0.05, side=Side.BUY, state=TradingState.REDUCING, net_position=1.0))
    assert not check.passed and check.severity == HARD
    assert "only orders that reduce the desk's net position in BTCUSDT are allowed" in check.message
    assert "a buy of 0.05 against a net position of +1 would not reduce it (to +1.05)" in check.message
    assert check.figures["signed_qty"] == 0.05 and check.figures["net_position"] == 1.0


def test_reducing_blocks_an_order_from_a_flat_position_and_one_that_flips_it():
    assert _eval(qty=0.05, side=Side.SELL, state=TradingState.REDUCING, net_position=0.0).blocked
    flip = _state_check(_eval(qty=0.5, side=Side.BUY, state=TradingState.REDUCING, net_position=-0.2))
    assert not flip.passed and flip.figures["position_after"] == 0.3
