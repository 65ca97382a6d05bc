"""Every strategy of the registry runs on the desk: its inputs are frozen at start and it drives proposals."""

import pytest

from execdesk.desk.models import AuditEvent
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create
from execdesk.domain.strategies.registry import STRATEGY_NAMES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_each_strategy_starts_with_frozen_inputs_and_proposes(strategy, make_order, proposal_for):
    parent = make_order(strategy=strategy, quantity="1.0", horizon=600)
    params = parent.strategy_params
    assert len(params["volume_curve"]) == 24 and sum(params["volume_curve"]) == pytest.approx(1.0)
    assert params["sigma"] > 0 and params["eta"] > 0 and params["gamma"] >= 0
    frozen = AuditEvent.objects.get(action="parent.strategy_frozen", parent_order_id=parent.pk)
    assert frozen.payload["strategy"] == strategy
    proposal = proposal_for(parent)
    assert proposal.advisor == ("rules" if strategy == "adaptive" else "schedule")
    assert proposal.reasoning
    if strategy != "adaptive":
        assert strategy.upper() in proposal.reasoning  # the schedule advisor names the strategy it follows


def test_twap_proposes_its_even_slice_at_the_start(make_order, proposal_for):
    parent = make_order(strategy="twap", quantity="0.6", horizon=600, interval=10)  # 60 slices of 0.01
    proposal = proposal_for(parent)
    assert proposal.action == "AGGRESSIVE"
    assert float(proposal.quantity) == pytest.approx(0.01)
    assert float(proposal.baseline_qty) == pytest.approx(0.01)


def test_an_unknown_strategy_is_refused_with_the_valid_names(alice):
    with pytest.raises(InvalidInput, match="unknown strategy 'sniper'.*twap"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                            interval_seconds=10, strategy="sniper")


def test_a_randomised_twap_is_frozen_with_its_jitter_and_deterministic(alice, make_order):
    from execdesk.desk.services.parent_orders import parent_order_start
    from execdesk.desk.services.strategy import strategy_of

    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="1.0", horizon_seconds=600,
                                 interval_seconds=10, strategy="twap", randomise="0.3")
    parent_order_start(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.strategy_params["randomise"] == pytest.approx(0.3)
    plan = strategy_of(parent).schedule(1.0, 0.0)
    sizes = {round(s.quantity, 9) for s in plan}
    assert len(sizes) > 1 and sum(s.quantity for s in plan) == pytest.approx(1.0)
    assert [s.quantity for s in strategy_of(parent).schedule(1.0, 0.0)] == [s.quantity for s in plan]


def test_randomisation_beyond_half_is_refused(alice):
    with pytest.raises(InvalidInput, match="randomisation must be between 0 and 0.5"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="1.0", horizon_seconds=600,
                            interval_seconds=10, strategy="twap", randomise="0.8")


def test_the_order_page_state_carries_the_strategys_own_schedule(make_order):
    from execdesk.desk.selectors.orders import order_state

    assert order_state(make_order(start=False))["schedule"] == []
    state = order_state(make_order(strategy="is", quantity="1.0", horizon=600, interval=60))
    points = state["schedule"]
    assert len(points) == 10 and points[-1][1] == pytest.approx(1.0)
    first, second = points[0][1], points[1][1] - points[0][1]
    assert first > second  # Almgren–Chriss front-loads: not the linear TWAP line
    assert state["strategy_label"] == "IS / Almgren–Chriss"
