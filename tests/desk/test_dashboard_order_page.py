"""The order page: the seed's four panels, the charts (plotly.js served by the desk itself, never a CDN), the
IS-over-time series computed with the desk's TCA code, and the approval-mode and amend controls."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.desk.selectors.orders import order_state
from execdesk.desk.services.proposals import proposal_override
from execdesk.domain.tca import FillPoint, fill_slippage_bps
from tests.desk.conftest import age_proposals

pytestmark = pytest.mark.django_db


def _page(client, user, parent) -> str:
    client.force_login(user)
    response = client.get(reverse("desk:order", args=[parent.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_four_panels_and_the_four_charts_are_on_the_page(client, alice, make_order):
    page = _page(client, alice, make_order())
    for panel in ("Progress", "Performance", "Market state", "Advisor status", "Recent orders"):
        assert re.search(rf'<h2 id="p-[a-z]+">{panel}</h2>', page), panel
    for figure in ("time-left", "decision-price", "avg-price", "is-bps", "vs-twap-bps", "market-mid", "market-spread",
                   "market-volume", "market-vol", "market-funding", "advisor-last", "advisor-action",
                   "advisor-confidence", "advisor-reasoning", "advisor-latency", "advisor-fallbacks"):
        assert f'id="{figure}"' in page, figure
    assert "<dt>Volume 1h</dt>" in page
    for chart in ("price-chart", "schedule-chart", "is-chart", "depth-chart"):
        assert f'id="{chart}" class="chart' in page


def test_plotly_is_served_by_the_desk_not_a_cdn(client, alice, make_order):
    page = _page(client, alice, make_order())
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert "/static/vendor/plotly.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    served = client.get("/static/vendor/plotly.min.js")
    assert served.status_code == 200
    assert b"plotly.js" in b"".join(served.streaming_content)[:400]


def test_is_series_has_a_point_per_fill_ending_at_the_fills_slippage(alice, make_order, proposal_for,
                                                                    django_capture_on_commit_callbacks):
    parent = make_order(quantity="0.5")
    for _ in range(2):
        age_proposals(parent, 60)  # the next step is due: an interval after the last proposal and child order
        for child in ChildOrder.objects.filter(parent=parent):
            ChildOrder.objects.filter(pk=child.pk).update(created_at=child.created_at - timedelta(seconds=60))
        proposal = proposal_for(parent)
        with django_capture_on_commit_callbacks(execute=True):
            proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="market",
                              reason="take liquidity now")
    parent = ParentOrder.objects.get(pk=parent.pk)
    fills = list(parent.fills.order_by("ts", "id"))
    series = order_state(parent)["is_series"]
    assert len(fills) >= 2 and len(series) == len(fills)
    assert [t for t, _ in series] == sorted(t for t, _ in series)
    for i, (t, bps) in enumerate(series):  # each point: the IS of the fills so far, as domain.tca computes it
        upto = [FillPoint(float(f.qty), float(f.price)) for f in fills[: i + 1]]
        assert t == fills[i].ts.timestamp()
        assert bps == pytest.approx(fill_slippage_bps(parent.side, float(parent.decision_price), upto), abs=1e-4)
    # the chart is the fills' slippage (before fees), the TCA's decision_slippage_bps; not the order's IS
    assert series[-1][1] == pytest.approx(parent.tca["decision_slippage_bps"], abs=1e-4)
    assert parent.is_bps == pytest.approx(parent.tca["is_bps"], abs=1e-4) and parent.is_bps != series[-1][1]


def test_the_embedded_state_carries_the_is_series_and_the_progress_the_live_rows_use(client, alice, make_order):
    page = _page(client, alice, make_order())
    state = json.loads(re.search(r'<script id="order-state" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert state["is_series"] == []
    for key in ("pending_proposals", "time_left_s", "auto_cap_notional", "approval_mode", "tca"):
        assert key in state["progress"], key


def test_a_trader_gets_the_mode_and_amend_forms_an_auditor_does_not(client, alice, charlie, make_order):
    parent = make_order()
    page = _page(client, alice, parent)
    assert f'action="{reverse("desk:order_mode", args=[parent.pk])}"' in page
    assert f'action="{reverse("desk:order_amend", args=[parent.pk])}"' in page
    for option in ("manual", "auto_within_limits", "autopilot"):
        assert f'<option value="{option}"' in page
    assert 'name="auto_cap_notional"' in page and 'id="mode-reason" maxlength="2000" required' in page
    assert 'type="datetime-local" step="1" name="deadline"' in page and "New deadline (UTC)" in page
    assert f'value="{parent.deadline:%Y-%m-%dT%H:%M:%S}"' in page
    page = _page(client, charlie, parent)
    assert 'id="mode-form"' not in page and 'id="amend-form"' not in page and "Read-only" in page


def test_the_mode_endpoint_answers_the_progress_the_page_redraws_from(client, alice, make_order):
    parent = make_order()
    client.force_login(alice)
    url = reverse("desk:order_mode", args=[parent.pk])
    answer = client.post(url, {"approval_mode": "auto_within_limits", "auto_cap_notional": "5000", "reason": "quiet tape"},
                         HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert answer.json()["approval_mode"] == "auto_within_limits" and answer.json()["auto_cap_notional"] == "5000"
    refused = client.post(url, {"approval_mode": "autopilot", "reason": ""}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 409 and refused.json()["error"]
