"""POV's rate and participation bounds on the desk: set at creation (form, API, service), frozen at start,
the pre-trade estimate over the duration the rate implies, and bad terms refused naming the problem."""

from __future__ import annotations

import pytest
from django.urls import reverse

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.strategy import pretrade_for, strategy_of
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.strategies.pov import POVTerms

pytestmark = pytest.mark.django_db

POV_ORDER = {"symbol": "BTCUSDT", "side": "buy", "quantity": "2.0", "horizon_seconds": 1800, "interval_seconds": 60}
MID = 65_000.0


def _market() -> MarketSnapshot:
    """A market printing 1 BTC a second (3,600 an hour)."""
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=MID, best_bid=MID - 0.05, best_ask=MID + 0.05,
                          bids=(Level(MID - 0.05, 5.0),), asks=(Level(MID + 0.05, 5.0),), volume_1h=3600.0,
                          volume_1m=60.0, volatility_1h=0.005)


def _estimate(terms: POVTerms | None) -> dict:
    return pretrade_for(side="buy", quantity=10.0, horizon_s=3600.0, interval_s=15.0, snapshot=_market(),
                        symbol="BTCUSDT", strategy="pov", pov_terms=terms, participation_cap=0.10)


# 10 BTC, 1 BTC/s, horizon 3,600 s, cap 10 %: the durations of tests/domain/test_pov_bounds.py
@pytest.mark.parametrize(("terms", "seconds", "warning"), [
    (None, 10 / (0.05 / 0.95), "POV at 5% of the volume is expected to finish in 190 s"),
    (POVTerms(0.03, 0.02, 0.05), 10 / (0.02 / 0.98), "POV at 2% of the volume is expected to finish in 490 s"),
    (POVTerms(0.005, 0.001, 0.01), 3600.0, None),
    (POVTerms(0.001), 3600 + (10 - 3600 * 0.001 / 0.999) / (0.1 / 0.9),
     "POV at 0.1% of the volume is expected to need 3,658 s, beyond the 3,600 s horizon (it goes on at 10% after"),
])
def test_the_pretrade_estimate_is_over_the_duration_the_rate_implies(terms, seconds, warning):
    estimate = _estimate(terms)
    assert estimate["horizon_s"] == pytest.approx(seconds, abs=1e-3)
    if warning is None:
        assert not any("POV at" in w for w in estimate["warnings"])
    else:
        assert warning in estimate["warnings"][0]


def test_the_order_keeps_its_terms_and_freezes_them_at_start(alice):
    parent = parent_order_create(user=alice, strategy="pov", pov_rate="0.02", min_participation="0.01",
                                 max_participation="0.08", **POV_ORDER)
    assert (parent.pov_rate, parent.min_participation, parent.max_participation) == (0.02, 0.01, 0.08)
    created = AuditEvent.objects.get(action="parent.created", parent_order_id=parent.pk)
    assert created.payload["pov_rate"] == 0.02 and created.payload["max_participation"] == 0.08
    parent_order_start(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    p = parent.strategy_params
    assert (p["pov_rate"], p["min_participation"], p["max_participation"]) == (0.02, 0.01, 0.08)
    assert strategy_of(parent).terms == POVTerms(0.02, 0.01, 0.08)


def test_without_terms_a_pov_order_trades_the_desks_five_percent(alice):
    parent = parent_order_create(user=alice, strategy="pov", **POV_ORDER)
    parent_order_start(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert strategy_of(parent).terms == POVTerms(0.05)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"min_participation": "0.08", "max_participation": "0.02"},
     r"min_participation \(0.08\) must not exceed max_participation \(0.02\)"),
    ({"pov_rate": "0.01", "min_participation": "0.02"},
     r"pov_rate \(0.01\) must be within \[min_participation 0.02, max_participation 0.01\]"),
    ({"pov_rate": "0.09", "max_participation": "0.08"},
     r"pov_rate \(0.09\) must be within \[min_participation 0.09, max_participation 0.08\]"),
    ({"pov_rate": "0"}, r"pov_rate must be within \(0, 1\], got 0.0"),
    ({"pov_rate": "-0.05"}, r"pov_rate must be within \(0, 1\], got -0.05"),
    ({"pov_rate": "1.5"}, r"pov_rate must be within \(0, 1\], got 1.5"),
    ({"max_participation": "0.5"}, r"max_participation \(0.5\) is above the desk's participation cap \(0.1\)"),
    ({"pov_rate": "0.2"}, r"pov_rate \(0.2\) is above the desk's participation cap \(0.1\)"),
    ({"pov_rate": "five"}, "pov_rate 'five' is not a number"),
    ({"strategy": "twap", "pov_rate": "0.05"}, "pov_rate applies to the POV strategy only, not to 'twap'"),
    ({"strategy": "is", "min_participation": "0.01", "max_participation": "0.1"},
     "min_participation and max_participation apply to the POV strategy only"),
])
def test_bad_terms_are_refused_naming_the_problem(alice, kwargs, message):
    kwargs = {"strategy": "pov", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        parent_order_create(user=alice, **POV_ORDER, **kwargs)
    assert not ParentOrder.objects.exists()


def test_the_form_creates_a_bounded_pov_and_refuses_min_above_max(client, alice):
    client.force_login(alice)
    form = {**POV_ORDER, "strategy": "pov", "approval_mode": "manual", "venue": "paper", "pov_rate": "0.03",
            "min_participation": "0.02", "max_participation": "0.06"}
    assert client.post(reverse("desk:order_create"), form).status_code == 302
    parent = ParentOrder.objects.get()
    assert (parent.pov_rate, parent.min_participation, parent.max_participation) == (0.03, 0.02, 0.06)
    page = client.get(reverse("desk:order", kwargs={"order_id": parent.pk})).content.decode()
    assert 'id="strategy-pov-terms"' in page and "0.03 (0.02 … 0.06)" in page
    bad = client.post(reverse("desk:order_create"), {**form, "min_participation": "0.07"})
    assert bad.status_code == 400
    assert "min_participation (0.07) must not exceed max_participation (0.06)" in bad.content.decode()
    assert ParentOrder.objects.count() == 1
