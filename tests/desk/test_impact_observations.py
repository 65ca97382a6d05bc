"""Each aggressive child execution becomes an impact observation (a markout) one interval later, feeding the
real-time Y/γ recalibration that the order page reports as predicted versus realised impact."""

from datetime import timedelta

import pytest

from execdesk.desk.models import ChildOrder, ImpactObservation
from execdesk.desk.selectors.orders import impact_report
from execdesk.desk.services.proposals import proposal_approve
from execdesk.desk.services.strategy import impact_calibration
from tests.desk.conftest import age_proposals

pytestmark = pytest.mark.django_db


def _filled_market_child(alice, make_order, proposal_for, capture):
    parent = make_order(strategy="twap", quantity="0.6", horizon=600, interval=10)
    proposal = proposal_for(parent)
    assert proposal.order_type == "market", proposal.reasoning
    with capture(execute=True):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.status == "filled" and child.mid_at_send is not None
    return parent, child


def test_an_aggressive_child_is_observed_one_interval_later(alice, client, make_order, proposal_for,
                                                           django_capture_on_commit_callbacks):
    parent, child = _filled_market_child(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    assert not ImpactObservation.objects.exists()  # observed only once the interval has passed

    age_proposals(parent, 15)
    ChildOrder.objects.filter(pk=child.pk).update(created_at=child.created_at - timedelta(seconds=15))
    proposal_for(parent)
    obs = ImpactObservation.objects.get(child=child)
    assert obs.symbol == "BTCUSDT" and obs.side == "buy" and obs.qty == child.filled_qty
    # duration_s is the markout delay: the child was sent 15 s before the mid after was read
    assert obs.mid_before == child.mid_at_send and 15 <= obs.duration_s < 20
    assert obs.predicted_bps is not None and obs.realised_bps is not None

    assert len(impact_calibration("BTCUSDT")) == 1
    report = impact_report("BTCUSDT")
    assert report["vs"]["n"] == 1 and report["fit"]["source"] == "prior"  # too few to fit: the prior serves
    client.force_login(alice)
    page = client.get(f"/orders/{parent.pk}/").content.decode()
    assert "over 1 executions" in page


def test_an_observation_is_recorded_once(alice, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent, child = _filled_market_child(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    for _ in range(2):
        age_proposals(parent, 15)
        ChildOrder.objects.filter(parent=parent).update(created_at=child.created_at - timedelta(seconds=60))
        proposal_for(parent)
    assert ImpactObservation.objects.filter(child=child).count() == 1


def test_the_impact_volume_before_a_child_is_its_parents_earlier_taker_fills_decayed():
    from execdesk.desk.services.strategy import _impact_volume

    # 2 BTC bought 600 s (one half-life) before, 1 BTC 1,200 s before, and the child itself (id 9) now
    fills = [(0.0, 1.0, 7), (600.0, 2.0, 8), (1200.0, 0.5, 9)]
    assert _impact_volume(fills, 1200.0, 600.0, exclude=9) == pytest.approx(1.0 / 4 + 2.0 / 2)
    # at the markout, 30 s later, the child counts too and everything has decayed a little more
    assert _impact_volume(fills, 1230.0, 600.0) == pytest.approx((0.25 + 1.0 + 0.5) * 0.5 ** (30 / 600))
