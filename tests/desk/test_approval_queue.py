"""The approval queue (/queue/, the desk page's panel): every pending proposal the signed-in user may decide,
oldest first, each with its order's context. Who may decide is the desk's one permission model: ownership and
roles (a trader their own orders, a supervisor every order, an auditor none) and four-eyes (above the threshold
a supervisor; an override waits for a supervisor who did not write it)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import Proposal
from execdesk.desk.selectors.queue import proposal_queue, queue_state
from execdesk.desk.services.parent_orders import parent_order_pause
from execdesk.desk.services.proposals import proposal_approve, proposal_override, proposal_reject
from tests.conftest import _user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dan(django_user_model):
    """dan, another trader."""
    return _user(django_user_model, "dan", "trader")


@pytest.fixture
def dave(django_user_model):
    """dave, a second supervisor."""
    return _user(django_user_model, "dave", "supervisor")


@pytest.fixture
def four_eyes(settings, monkeypatch, make_order, django_user_model):
    """A threshold every BTC slice is above; fiona, a supervisor, approves each order before it starts."""
    monkeypatch.setitem(settings.EXECDESK, "FOUR_EYES_NOTIONAL", 100.0)
    fiona = _user(django_user_model, "fiona", "supervisor")
    return functools.partial(make_order, approver=fiona)


def _sending(parent, proposal_for) -> Proposal:
    proposal = proposal_for(parent)
    assert proposal.action != "WAIT", proposal.reasoning
    return proposal


def _ids(user) -> list[int]:
    return [p.pk for p in proposal_queue(user=user)]


def test_a_trader_sees_the_proposals_of_their_own_orders_only(alice, dan, make_order, proposal_for):
    mine = proposal_for(make_order(user=alice))
    theirs = proposal_for(make_order(user=dan))
    assert _ids(alice) == [mine.pk]
    assert _ids(dan) == [theirs.pk]


def test_with_the_shared_book_every_trader_sees_every_order(alice, dan, make_order, proposal_for, settings):
    settings.EXECDESK = {**settings.EXECDESK, "SHARED_BOOK": True}
    first = proposal_for(make_order(user=alice))
    second = proposal_for(make_order(user=dan))
    assert _ids(dan) == [first.pk, second.pk]


def test_a_supervisor_sees_every_order_and_an_auditor_none(alice, bob, charlie, dan, make_order, proposal_for):
    first = proposal_for(make_order(user=alice))
    second = proposal_for(make_order(user=dan))
    assert _ids(bob) == [first.pk, second.pk]
    assert _ids(charlie) == []
    assert queue_state(user=charlie) == {"rows": []}


def test_oldest_first(alice, make_order, proposal_for):
    older = proposal_for(make_order(user=alice))
    newer = proposal_for(make_order(user=alice))
    Proposal.objects.filter(pk=newer.pk).update(created_at=older.created_at - timedelta(seconds=5))
    assert _ids(alice) == [newer.pk, older.pk]


def test_four_eyes_proposals_go_to_supervisors_not_to_the_trader(alice, bob, four_eyes, proposal_for):
    proposal = _sending(four_eyes(user=alice), proposal_for)
    assert _ids(alice) == []
    assert _ids(bob) == [proposal.pk]
    row = queue_state(user=bob)["rows"][0]
    assert row["needs_supervisor"] is True


def test_an_override_waits_for_a_supervisor_who_did_not_write_it(alice, bob, dave, four_eyes, proposal_for):
    proposal = _sending(four_eyes(user=alice), proposal_for)
    proposal_override(proposal_id=proposal.pk, user=bob, quantity="0.02", order_type="market", reason="smaller")
    assert _ids(bob) == []  # nobody approves their own override
    assert _ids(dave) == [proposal.pk]
    assert _ids(alice) == []


def test_decided_expired_and_stopped_orders_leave_the_queue(alice, make_order, proposal_for,
                                                            django_capture_on_commit_callbacks):
    approved = _sending(make_order(user=alice), proposal_for)
    rejected = proposal_for(make_order(user=alice))
    expired = proposal_for(make_order(user=alice))
    paused_order = make_order(user=alice)
    paused = proposal_for(paused_order)
    assert set(_ids(alice)) == {approved.pk, rejected.pk, expired.pk, paused.pk}
    proposal_approve(proposal_id=approved.pk, user=alice)
    proposal_reject(proposal_id=rejected.pk, user=alice, reason="not now")
    Proposal.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    parent_order_pause(parent_id=paused_order.pk, user=alice, reason="lunch")
    assert _ids(alice) == []


def test_each_row_carries_its_orders_context(alice, make_order, proposal_for):
    parent = make_order(user=alice, quantity="0.5", side="sell", strategy="vwap")
    proposal = proposal_for(parent)
    row = queue_state(user=alice)["rows"][0]
    assert row["id"] == proposal.pk and row["seq"] == proposal.seq and row["action"] == proposal.action
    assert row["order"] == {"id": parent.pk, "symbol": "BTCUSDT", "side": "sell", "status": parent.status,
                            "strategy": parent.get_strategy_display(), "approval_mode": "manual",
                            "quantity": "0.5", "executed": "0", "progress_pct": 0.0, "created_by": "alice"}
    assert row["expires_at"] == proposal.expires_at.timestamp()
    assert row["notional"] is not None


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_page_and_its_state_answer_per_user(alice, charlie, dan, make_order, proposal_for):
    proposal = proposal_for(make_order(user=alice))
    page = _client(alice).get("/queue/")
    assert page.status_code == 200
    assert page.context["queue"]["rows"][0]["id"] == proposal.pk
    assert b'id="queue-state"' in page.content and b'href="/queue/"' in page.content
    assert _client(alice).get("/queue/state.json").json()["rows"][0]["id"] == proposal.pk
    assert _client(dan).get("/queue/state.json").json() == {"rows": []}
    auditor = _client(charlie).get("/queue/")
    assert auditor.status_code == 200 and auditor.context["queue"] == {"rows": []}
    assert b"decides no proposals" in auditor.content
    assert b'href="/queue/"' not in auditor.content  # the navigation links it for those who trade only


def test_the_desk_page_shows_the_queue_panel_to_those_who_trade(alice, charlie, make_order, proposal_for):
    proposal = proposal_for(make_order(user=alice))
    home = _client(alice).get("/")
    assert b'id="queue-panel"' in home.content
    assert home.context["queue"]["rows"][0]["id"] == proposal.pk
    assert b'id="queue-panel"' not in _client(charlie).get("/").content


def test_the_queue_needs_a_login(client):
    assert client.get("/queue/").status_code == 302
    assert client.get("/queue/state.json").status_code == 302


def test_the_queue_reads_the_same_number_of_queries_for_one_order_or_five(alice, make_order, proposal_for,
                                                                           django_assert_max_num_queries):
    proposal_for(make_order(user=alice))
    with django_assert_max_num_queries(4) as one:
        assert len(queue_state(user=alice)["rows"]) == 1
    for _ in range(4):
        proposal_for(make_order(user=alice))
    alice.refresh_from_db()
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(queue_state(user=alice)["rows"]) == 5
