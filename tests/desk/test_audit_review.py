"""The audit review: auditors and supervisors find orders by trader, advisor, outcome and date, and read one
order's whole story — every proposal with what the advisor saw and its reasoning in full, every decision
with who and why, child orders, fills and state changes, in order, with the market at each moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from execdesk.desk.models import AdvisorQuery, AuditEvent, ParentOrder, QueryKind
from execdesk.desk.selectors.audit import ReviewFilters, order_timeline, review_orders
from execdesk.desk.services.advice import advisor_query_run
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from tests.advisors.claude_support import answer_with, claude_env  # noqa: F401  (fixture)
from tests.desk.audit_chain import build_chain, sql_delete, sql_set_payload
from tests.loopback.anthropic_server import text_reply

pytestmark = pytest.mark.django_db

REVIEW = reverse("desk:review")


@pytest.fixture
def story(alice, make_order, proposal_for, django_capture_on_commit_callbacks):
    """alice's order taken through override (filled), reject, expiry and approval."""
    parent = make_order()
    proposals = build_chain(parent, trader=alice, proposal_for=proposal_for, capture=django_capture_on_commit_callbacks)
    return ParentOrder.objects.get(pk=parent.pk), {k: p.__class__.objects.get(pk=p.pk) for k, p in proposals.items()}


@pytest.fixture
def claude_order(alice, claude_env, settings):  # noqa: F811
    """An order on the Claude advisor whose first proposal comes from one answered question."""
    settings.EXECDESK = {**settings.EXECDESK, "ADVISOR_RUNNER": "celery"}  # the test runs the question itself

    def make(reply=None) -> ParentOrder:
        if reply is None:
            answer_with(claude_env)
        else:
            claude_env.responder = lambda body: reply
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=1800,
                                     interval_seconds=None, approval_mode="manual", strategy="twap",
                                     advisor="anthropic")
        parent_order_start(parent_id=parent.pk, user=alice)
        execution_step(parent_id=parent.pk)  # asks Claude, ahead of the step
        question = AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.DECISION).latest("started_at")
        advisor_query_run(query_id=question.pk)
        assert execution_step(parent_id=parent.pk) is not None
        return ParentOrder.objects.get(pk=parent.pk)

    return make


def _in_order(html: str, *needles: str) -> None:
    at = -1
    for needle in needles:
        found = html.find(needle, at + 1)
        assert found > at, f"{needle!r} missing or out of order"
        at = found


# ───────── one order's timeline ─────────

def test_the_timeline_tells_every_event_in_order_with_who_why_and_the_figures(client, charlie, story):
    parent, p = story
    client.force_login(charlie)
    response = client.get(reverse("desk:review_order", args=[parent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    child = parent.child_orders.get()
    fill = parent.fills.get()
    _in_order(html,
              "Order created: BUY 0.5 BTCUSDT over 600 s",
              "Order state INITIALIZED → ACTIVE",
              "Proposal #1 by advisor:schedule: AGGRESSIVE",
              "Proposal #1 overridden", "take it now, the book is thin",
              f"Child order {child.order_link_id} created: BUY 0.01 market IOC",
              "Order state ACTIVE → EXECUTING",
              f"Child order {child.order_link_id} sent to the paper venue",
              f"Fill 0.01 @ {fill.price.normalize():f}",
              f"Child order {child.order_link_id} new → filled",
              "Order state EXECUTING → FILLED",
              "Proposal #2 by advisor:schedule: WAIT", "Proposal #2 rejected", "spread looks fake",
              "Proposal #3 expired", "no decision before the proposal",
              "Proposal #4 approved")
    for proposal in p.values():
        assert escape(proposal.reasoning) in html, "the advisor's reasoning, in full"
    assert html.count('class="tl-entry') == AuditEvent.objects.filter(parent_order_id=parent.pk).count()
    assert "alice <span class=\"role-badge role-trader\">trader</span>" in html
    assert "Intact." in html


def test_each_proposal_shows_what_the_advisor_was_shown_and_each_event_the_market(story):
    parent, p = story
    timeline = order_timeline(parent)
    created = [e for e in timeline.entries if e.event.action == "proposal.created"]
    assert [e.event.object_id for e in created] == [str(x.pk) for x in p.values()]
    first, second = dict(created[0].shown), dict(created[1].shown)
    assert first["Progress"] == "0 of 0.5 (0.0 %)" and second["Progress"] == "0.01 of 0.5 (2.0 %)", \
        "progress as it stood when the proposal was made: after the first fill, not now"
    assert first["Strategy's slice"] == f"{p['overridden'].baseline_qty.normalize():f}"
    assert first["Mid"] == f"{p['overridden'].market['mid']:g}" or first["Mid"].startswith(str(int(p["overridden"].market["mid"])))
    assert {c["code"] for c in created[0].checks} == {c["code"] for c in p["overridden"].risk_checks}
    assert created[0].market_from == "at this event"
    assert all(e.market for e in timeline.entries), "every event carries the market, its own or the last recorded"
    approved = next(e for e in timeline.entries if e.event.action == "proposal.approved")
    assert approved.market_from.startswith("as last recorded, at event #")
    assert timeline.chain.ok and timeline.unaudited == []


def test_a_long_timeline_is_read_a_page_at_a_time_with_the_story_carried_over(client, charlie, story):
    parent, _ = story
    whole = order_timeline(parent)
    assert whole.pages == 1 and whole.total == len(whole.entries) > 15
    pages = [order_timeline(parent, page=n, per_page=5) for n in range(1, whole.total // 5 + 2)]
    assert {t.pages for t in pages} == {len(pages)}
    told = [(e.event.pk, e.title, e.shown, e.market, e.market_from) for t in pages for e in t.entries]
    assert told == [(e.event.pk, e.title, e.shown, e.market, e.market_from) for e in whole.entries], \
        "progress and the last recorded market carry over from the pages before"
    assert order_timeline(parent, page=99, per_page=5).page == len(pages)
    client.force_login(charlie)
    response = client.get(reverse("desk:review_order", args=[parent.pk]), {"page": "two"})
    assert response.status_code == 400 and "page must be a whole number" in response.content.decode()


def test_a_claude_proposal_shows_the_question_behind_it(client, bob, claude_order):
    parent = claude_order()
    question = AdvisorQuery.objects.get(parent=parent, kind=QueryKind.DECISION)
    client.force_login(bob)
    html = client.get(reverse("desk:review_order", args=[parent.pk])).content.decode()
    _in_order(html, "Claude decision question for proposal #1 answered", "Proposal #1 by advisor:anthropic: PASSIVE",
              "What the advisor was shown", "Claude decision question #1", question.model,
              f"{question.input_tokens} in / {question.output_tokens} out", question.prompt_hash,
              "Raw tool input, as the model gave it",
              escape('"reasoning": "Spread 0.46 bps'))
    assert f"{question.latency_ms:.0f} ms" in html


def test_a_fallback_shows_why_and_what_the_model_said(client, charlie, claude_order):
    parent = claude_order(reply=text_reply("Buy everything, limits are for the timid."))
    client.force_login(charlie)
    html = client.get(reverse("desk:review_order", args=[parent.pk])).content.decode()
    _in_order(html, "Proposal #1 by advisor:anthropic:", "fallback", "Fallback reason",
              "without calling the decision tool", "Buy everything, limits are for the timid.")


def test_a_tampered_order_shows_the_broken_event_and_the_unaudited_row(client, charlie, story):
    parent, p = story
    rejected = AuditEvent.objects.get(action="proposal.rejected", parent_order_id=parent.pk)
    sql_set_payload(rejected.pk, {**rejected.payload, "reason": "looked fine to me"})
    created = AuditEvent.objects.get(action="proposal.created", object_id=str(p["expired"].pk))
    sql_delete(created.pk)
    client.force_login(charlie)
    html = client.get(reverse("desk:review_order", args=[parent.pk])).content.decode()
    assert "Broken." in html
    assert f"event #{rejected.pk} (proposal.rejected," in html and "altered" in html
    assert f'id="ev-{rejected.pk}"' in html and "tl-broken" in html
    assert f"Not in the audit trail:</strong> proposal #3 (id {p['expired'].pk})" in html
    timeline = order_timeline(parent)
    assert {b.kind for b in timeline.chain.broken} == {"altered", "unlinked"}


# ───────── finding orders ─────────

@pytest.fixture
def desk(alice, bob, story, make_order, claude_order):
    """alice's story order (schedule advisor), a quiet order by bob (rules advisor), a Claude fallback."""
    quiet = make_order(user=bob, strategy="adaptive", start=False)
    fallback = claude_order(reply=text_reply("No."))
    return {"story": story[0], "quiet": quiet, "fallback": fallback}


def _ids(**filters) -> list[int]:
    return [o.pk for o in review_orders(ReviewFilters(**filters))]


def test_orders_filter_by_trader_advisor_and_outcome(desk):
    story, quiet, fallback = desk["story"], desk["quiet"], desk["fallback"]
    assert set(_ids()) == {story.pk, quiet.pk, fallback.pk}
    assert _ids(trader="bob") == [quiet.pk]
    assert set(_ids(trader="alice")) == {story.pk, fallback.pk}
    assert _ids(advisor="rules") == [quiet.pk] and _ids(advisor="anthropic") == [fallback.pk]
    for outcome in ("approved", "rejected", "overridden", "expired"):
        assert _ids(outcome=outcome) == [story.pk], outcome
    assert _ids(outcome="fallback") == [fallback.pk]
    assert _ids(trader="alice", outcome="fallback") == [fallback.pk] and _ids(trader="bob", outcome="rejected") == []


def test_the_outcome_filter_does_not_narrow_the_counts(desk):
    row = review_orders(ReviewFilters(outcome="rejected")).get()
    assert (row.n_proposals, row.n_approved, row.n_rejected, row.n_overridden, row.n_expired, row.n_fallback) == \
        (4, 1, 1, 1, 1, 0)
    assert row.n_events == AuditEvent.objects.filter(parent_order_id=row.pk).count()


def test_orders_filter_by_creation_date(desk):
    story, quiet = desk["story"], desk["quiet"]
    ParentOrder.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert quiet.pk not in _ids(since=today) and story.pk in _ids(since=today)
    assert _ids(until=today) == [quiet.pk]
    with pytest.raises(InvalidInput, match="unknown outcome"):
        review_orders(ReviewFilters(outcome="lucky"))


def test_the_list_page_shows_the_filtered_orders_with_counts_and_links(client, charlie, desk):
    story = desk["story"]
    client.force_login(charlie)
    response = client.get(REVIEW, {"trader": "alice", "outcome": "rejected",
                                   "from": timezone.now().date().isoformat(), "to": timezone.now().date().isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("desk:review_order", args=[story.pk]) in html
    assert reverse("desk:review_order", args=[desk["fallback"].pk]) not in html
    assert f'{reverse("desk:review_export", args=["csv"])}?order={story.pk}' in html
    assert "1 order" in html


@pytest.mark.parametrize("params,message", [
    ({"outcome": "lucky"}, "Select a valid choice"),
    ({"trader": "mallory"}, "no orders were created by mallory"),
    ({"from": "last week"}, "&#x27;last week&#x27; is not a day (YYYY-MM-DD)"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "&#x27;from&#x27; must be before &#x27;to&#x27;"),
])
def test_bad_filters_get_a_400_page_naming_the_problem(client, charlie, desk, params, message):
    client.force_login(charlie)
    response = client.get(REVIEW, params)
    assert response.status_code == 400
    assert message in response.content.decode()


# ───────── who may look ─────────

def test_auditors_and_supervisors_may_review_traders_may_not(client, alice, bob, charlie, make_order):
    parent = make_order(start=False)
    pages = [REVIEW, reverse("desk:review_order", args=[parent.pk])]
    for user in (charlie, bob):
        client.force_login(user)
        assert [client.get(url).status_code for url in pages] == [200, 200], user.username
    client.force_login(alice)
    assert [client.get(url).status_code for url in pages] == [403, 403]


def test_anonymous_visitors_are_sent_to_login(client, make_order):
    parent = make_order(start=False)
    for url in (REVIEW, reverse("desk:review_order", args=[parent.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_unknown_order_is_not_found(client, charlie):
    client.force_login(charlie)
    assert client.get(reverse("desk:review_order", args=[999999])).status_code == 404
