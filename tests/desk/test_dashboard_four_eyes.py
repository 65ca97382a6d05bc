"""Four-eyes on the order page: the page knows who is looking (name and role on its root), the card carries a
"four-eyes: needs a supervisor" badge and a place for the override waiting for a second person, and the
proposal data the card is filled from says when a supervisor is needed and who wrote an override."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from execdesk.desk.services.proposals import proposal_override

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_threshold(settings):
    settings.EXECDESK = {**settings.EXECDESK, "FOUR_EYES_NOTIONAL": 100.0}


def _page(client, user, parent) -> tuple[str, dict]:
    client.force_login(user)
    page = client.get(reverse("desk:order", args=[parent.pk])).content.decode()
    state = json.loads(re.search(r'<script id="order-state" type="application/json">(.*?)</script>', page, re.S).group(1))
    return page, state


def test_the_page_knows_the_viewer_and_the_card_has_the_four_eyes_slots(client, alice, bob, make_order):
    parent = make_order(start=False)
    page, _ = _page(client, alice, parent)
    assert 'data-username="alice"' in page and 'data-role="trader"' in page
    assert 'data-slot="foureyes" hidden>four-eyes: needs a supervisor</span>' in page
    for slot in ("notional", "slice_impact", "override", "overridden_by", "final_quantity", "final_limit_price",
                 "override_reason", "approve-note", "checks", "checks-passed", "expiry"):
        assert f'data-slot="{slot}"' in page, slot
    page, _ = _page(client, bob, parent)
    assert 'data-username="bob"' in page and 'data-role="supervisor"' in page


def test_a_proposal_above_the_threshold_says_it_needs_a_supervisor(client, alice, bob, make_order, proposal_for,
                                                                   low_threshold):
    parent = make_order(quantity="0.5", approver=bob)
    proposal_for(parent)
    _, state = _page(client, alice, parent)
    pending = [p for p in state["proposals"] if p["status"] == "pending"]
    assert pending
    p = pending[0]
    if float(p["quantity"]) > 0:  # a WAIT sends nothing and needs nobody
        assert p["needs_supervisor"] is True and float(p["notional"]) > 100
    assert p["four_eyes_threshold"] == "100"
    assert "slice_impact_bps" in p and p["awaiting_second"] is False


def test_an_override_waiting_for_a_supervisor_shows_who_wrote_it_and_its_terms(client, alice, bob, make_order,
                                                                               proposal_for, low_threshold):
    parent = make_order(quantity="0.5", approver=bob)
    proposal = proposal_for(parent)
    proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="market",
                      reason="size up into the dip")
    _, state = _page(client, alice, parent)
    p = next(x for x in state["proposals"] if x["id"] == proposal.pk)
    assert p["status"] == "pending" and p["awaiting_second"] is True
    assert p["overridden_by"] == "alice" and p["override_reason"] == "size up into the dip"
    assert p["final_quantity"] == "0.02" and p["final_order_type"] == "market"
