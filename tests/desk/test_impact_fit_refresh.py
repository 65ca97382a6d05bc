"""Each process keeps a symbol's impact fit for EXECDESK_IMPACT_FIT_REFRESH_SECONDS or until 50 newer
observations came in: every step asks for it and a fit reads up to 1,000 observations and their fills."""

from __future__ import annotations

import pytest

from execdesk.desk.models import ImpactObservation
from execdesk.desk.services import strategy
from execdesk.desk.services.strategy import FIT_REFRESH_OBSERVATIONS, impact_fit

pytestmark = pytest.mark.django_db


@pytest.fixture
def fits_counted(monkeypatch, settings):
    monkeypatch.setitem(settings.EXECDESK, "IMPACT_FIT_REFRESH_SECONDS", 10.0)
    monkeypatch.setattr(strategy, "_fits", {})
    calls: list[str] = []
    real = strategy.impact_calibration

    def counting(symbol: str):
        calls.append(symbol)
        return real(symbol)

    monkeypatch.setattr(strategy, "impact_calibration", counting)
    clock = [1_000.0]
    monkeypatch.setattr(strategy.time, "monotonic", lambda: clock[0])
    return calls, clock


def _observe(child, n: int) -> None:
    """n more observations, each of a child of its own (one observation per child)."""
    from execdesk.desk.models import ChildOrder, Proposal

    for _ in range(n):
        proposal = Proposal.objects.get(pk=child.proposal_id)
        proposal.pk, proposal.seq = None, Proposal.objects.count() + 1
        proposal.save()
        twin = ChildOrder.objects.get(pk=child.pk)
        twin.pk, twin.proposal = None, proposal
        twin.order_link_id = f"{child.order_link_id}-{ChildOrder.objects.count()}"
        twin.save()
        ImpactObservation.objects.create(
            symbol="BTCUSDT", child=twin, side="buy", qty="0.01", avg_price="65000", mid_before="64999",
            mid_after="65001", duration_s=10.0, volatility_1h=0.01, adv=50_000.0, spread_bps=0.5)


def test_the_fit_is_kept_until_it_is_old_or_enough_new_observations_came_in(fits_counted, make_order):
    calls, clock = fits_counted
    first = impact_fit("BTCUSDT")
    assert impact_fit("BTCUSDT") is first and calls == ["BTCUSDT"]  # kept: nothing new, not old

    clock[0] += 11  # older than the refresh interval
    impact_fit("BTCUSDT")
    assert len(calls) == 2


def test_fifty_new_observations_refit_at_once(fits_counted, make_order, proposal_for, alice,
                                              django_capture_on_commit_callbacks):
    from execdesk.desk.models import ChildOrder
    from execdesk.desk.services.proposals import proposal_approve

    calls, _clock = fits_counted
    parent = make_order(strategy="twap", quantity="0.6", horizon=600, interval=10)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal_id=proposal_for(parent).pk, user=alice)
    child = ChildOrder.objects.get(parent=parent)
    impact_fit("BTCUSDT")
    _observe(child, FIT_REFRESH_OBSERVATIONS - 1)
    impact_fit("BTCUSDT")
    assert len(calls) == 1  # 49 new: kept

    _observe(child, 1)
    impact_fit("BTCUSDT")
    assert len(calls) == 2  # the 50th: refitted


def test_zero_refits_on_every_use(monkeypatch, settings):
    monkeypatch.setattr(strategy, "_fits", {})
    calls: list[str] = []
    real = strategy.impact_calibration
    monkeypatch.setattr(strategy, "impact_calibration", lambda s: calls.append(s) or real(s))

    impact_fit("BTCUSDT")
    impact_fit("BTCUSDT")

    assert len(calls) == 2
