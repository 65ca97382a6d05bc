"""The desk overview lists every parent order with what a trader scans for: status, progress, executed and
remaining, time left (counted down live from the row's deadline), IS so far, IS against the TWAP baseline
and how many proposals wait for a decision."""

from __future__ import annotations

import pytest
from django.urls import reverse

from execdesk.desk.models import ParentOrder
from tests.desk.dashboard_html import cell, row_of

pytestmark = pytest.mark.django_db


def test_each_order_row_shows_progress_time_left_is_vs_twap_and_pending_proposals(client, alice, make_order,
                                                                                   proposal_for):
    parent = make_order(quantity="0.5", horizon=600)
    proposal_for(parent)  # one proposal waits for a decision
    ParentOrder.objects.filter(pk=parent.pk).update(is_bps=3.25, tca={"vs_twap_bps": -1.5})
    client.force_login(alice)
    page = client.get(reverse("desk:home")).content.decode()
    for header in ("Progress", "Executed", "Remaining", "Time left", "IS bps", "vs TWAP", "Pending"):
        assert f">{header}</th>" in page
    row = row_of(page, parent.pk)
    assert 'data-status="ACTIVE"' in row
    assert f'data-deadline="{int(parent.deadline.timestamp())}"' in row  # the script counts down from it
    assert cell(row, "time_left").startswith(("9:5", "10:00"))
    assert cell(row, "is_bps") == "3.25" and "is-cost" in row
    assert cell(row, "vs_twap_bps") == "-1.50"
    assert cell(row, "pending") == "1" and "pending-count has-pending" in row
    assert 'role="progressbar"' in row and cell(row, "remaining").startswith("0.5")


def test_an_order_not_started_shows_its_horizon_and_a_finished_one_shows_ended(client, alice, make_order):
    waiting = make_order(start=False, horizon=900)
    client.force_login(alice)
    page = client.get(reverse("desk:home")).content.decode()
    assert cell(row_of(page, waiting.pk), "time_left") == "15:00 not started"
    client.post(reverse("desk:order_action", args=[waiting.pk, "cancel"]), {"reason": "not needed"})
    page = client.get(reverse("desk:home")).content.decode()
    assert cell(row_of(page, waiting.pk), "time_left") == "ended"


def test_the_overview_script_gets_the_fields_its_live_rows_need(client, alice, make_order):
    make_order()
    client.force_login(alice)
    page = client.get(reverse("desk:home")).content.decode()
    assert 'data-ws-path="/ws/desk/"' in page
    for script in ("desk/core.js", "desk/socket.js", "desk/desk-state.js", "desk/home-filters.js", "desk/home.js"):
        assert f'src="/static/{script}"' in page
    for field in ("status", "progress", "executed", "remaining", "time_left", "is_bps", "vs_twap_bps", "pending", "mode"):
        assert f'data-field="{field}"' in page
