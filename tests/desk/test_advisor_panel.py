"""The trader sees what Claude did on an order: the order page's "Claude advisor" panel (questions, latency,
tokens and cost, fallbacks by reason, rate changes, human decisions per advisor, value added, the last
question), Claude's impact multiplier in the pre-trade estimate, and a new-order form that offers Claude
only when the desk has an Anthropic key (and gives it a longer default decision interval).

These tests use the plain `django_db` mark: the whole test is one transaction that is rolled back, so the
impact question an anthropic order enqueues on commit never runs (with Celery eager in tests, the `celery`
runner would run it in-process too); the figures come from AdvisorQuery and Proposal rows made here."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from execdesk.desk.models import AdvisorQuery, ParentOrder, Proposal, QueryKind, QueryStatus
from execdesk.desk.services import advice
from execdesk.desk.services.parent_orders import parent_order_create

pytestmark = pytest.mark.django_db

KEY = "sk-ant-test-x"
ORDER_FORM = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": 600,
              "strategy": "twap", "approval_mode": "manual", "auto_cap_notional": "0", "randomise_pct": "0"}


@pytest.fixture
def claude_key(monkeypatch):
    """The desk has an Anthropic key (a fake one: nothing here reaches the API)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_API_KEY_FILE", raising=False)
    advice.claude_config.cache_clear()
    yield KEY
    advice.claude_config.cache_clear()


@pytest.fixture
def no_claude_key(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY_FILE", raising=False)
    advice.claude_config.cache_clear()
    yield
    advice.claude_config.cache_clear()


@pytest.fixture
def claude_order(alice, claude_key):
    return parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                               interval_seconds=30, advisor="anthropic")


def _query(parent, seq, *, status, latency, tokens=(0, 0), cost="0", use="", use_reason="", error_kind="",
           error="", proposal=None, minutes_ago=0):
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return AdvisorQuery.objects.create(
        parent=parent, kind=QueryKind.DECISION, seq=seq, status=status, model="claude-sonnet-4-6",
        started_at=started, finished_at=started + timedelta(milliseconds=latency), latency_ms=latency,
        input_tokens=tokens[0], output_tokens=tokens[1], cost_usd=None if cost is None else Decimal(cost),
        use=use, use_reason=use_reason, error_kind=error_kind, error=error, proposal=proposal)


def _proposal(parent, seq, *, action, status, fallback="", new_rate=None, impact=None):
    return Proposal.objects.create(
        parent=parent, seq=seq, advisor="anthropic", action=action, quantity=Decimal("0.05"), order_type="limit",
        limit_price=Decimal("60000"), reasoning="thin book, go slow", confidence=0.7, baseline_qty=Decimal("0.05"),
        is_fallback=bool(fallback), fallback_reason=fallback, new_rate=new_rate, expected_impact_bps=impact,
        status=status, expires_at=timezone.now() + timedelta(seconds=30))


@pytest.fixture
def claude_history(claude_order):
    """Three questions (two answered, one timed out) and the three proposals they became: an approved
    ACCELERATE to 1.5×, a rejected PASSIVE and an approved fallback; the order beat market TWAP by 3 bps."""
    parent = claude_order
    p1 = _proposal(parent, 1, action="ACCELERATE", status="approved", new_rate=1.5, impact=4.2)
    p2 = _proposal(parent, 2, action="PASSIVE", status="rejected")
    p3 = _proposal(parent, 3, action="PASSIVE", status="approved", fallback="Claude failed (timeout)")
    _query(parent, 1, status=QueryStatus.ANSWERED, latency=800, tokens=(1000, 200), cost="0.006", use="proposal",
           proposal=p1, minutes_ago=3)
    _query(parent, 2, status=QueryStatus.ANSWERED, latency=1200, tokens=(1100, 300), cost="0.0078",
           use="proposal", proposal=p2, minutes_ago=2)
    _query(parent, 3, status=QueryStatus.FAILED, latency=3000, use="fallback", use_reason="the baseline went",
           error_kind="timeout", error="Claude <b>timed out</b> after 10 s", proposal=p3, minutes_ago=1)
    ParentOrder.objects.filter(pk=parent.pk).update(rate=1.5, tca={"twap_is_bps": 5.0, "is_bps": 2.0})
    return parent


def _page(client, user, parent) -> str:
    client.force_login(user)
    response = client.get(reverse("desk:order", args=[parent.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(page: str, node_id: str) -> str:
    """The text of the element with this id up to its first child tag (enough for the panel's figures)."""
    start = page.index(f'id="{node_id}"')
    return html.unescape(page[page.index(">", start) + 1:page.index("<", start + 1)].strip())


def test_the_claude_panel_shows_the_figures_of_the_orders_questions_and_proposals(client, alice, claude_history):
    page = _page(client, alice, claude_history)
    assert 'id="claude-panel"' in page and "Claude advisor" in page
    assert _text(page, "claude-model") == "claude-sonnet-4-6"
    assert _text(page, "claude-questions") == "3 / 2 / 1 / 0"
    assert _text(page, "claude-latency") == "1200 / 2820 ms"  # p95 interpolated between 1200 and 3000
    assert _text(page, "claude-tokens") == "2100 / 500"
    assert _text(page, "claude-cost") == "0.0138 USD"
    assert _text(page, "claude-fallback-rate") == "33 % (1 of 3)"
    assert "<li>timeout: 1</li>" in page
    assert _text(page, "claude-adaptations") == "1"
    assert _text(page, "claude-rate") == "1.5× schedule"
    assert _text(page, "claude-value-added") == "+3.00 bps"
    assert 'class="num is-gain" id="claude-value-added" title="market TWAP counterfactual' in page
    rows = page[page.index('id="claude-outcomes"'):page.index("</table>", page.index('id="claude-outcomes"'))]
    assert ('<td>anthropic</td><td class="num">2</td><td class="num">50 %</td>\n'
            '              <td class="num">50 %</td><td class="num">0 %</td>') in rows
    assert '<td>anthropic (fallback)</td><td class="num">1</td><td class="num">100 %</td>' in rows
    assert _text(page, "claude-last") == "#3 · failed · fallback · 3000 ms"
    assert _text(page, "claude-last-reason") == "the baseline went"


def test_the_advisors_words_are_escaped_and_the_key_never_reaches_the_page(client, alice, claude_history):
    page = _page(client, alice, claude_history)
    assert "Claude &lt;b&gt;timed out&lt;/b&gt; after 10 s" in page
    assert "<b>timed out</b>" not in page
    assert KEY not in page
    assert KEY not in client.get(reverse("desk:order_state", args=[claude_history.pk])).content.decode()


def test_an_unknown_price_is_said_not_guessed(client, alice, claude_order):
    _query(claude_order, 1, status=QueryStatus.ANSWERED, latency=900, tokens=(10, 5), cost=None, use="proposal")
    assert _text(_page(client, alice, claude_order), "claude-cost") == "price unknown for claude-sonnet-4-6"


def test_a_claude_order_before_any_question_shows_empty_figures(client, alice, claude_order):
    page = _page(client, alice, claude_order)
    assert _text(page, "claude-questions") == "0 / 0 / 0 / 0"
    assert _text(page, "claude-latency") == "—"
    assert _text(page, "claude-fallback-rate") == "—"
    assert _text(page, "claude-last") == "none yet"
    assert "No proposal decided yet." in page
    assert 'id="pretrade-llm-pending"' in page  # the impact question went out at creation, no answer yet


def test_other_orders_have_no_claude_panel_and_no_advisor_block(client, alice, make_order, no_claude_key):
    parent = make_order(start=False)
    page = _page(client, alice, parent)
    assert 'id="claude-panel"' not in page and 'id="p-advisor"' in page
    assert client.get(reverse("desk:order_state", args=[parent.pk])).json()["advisor"] is None


def test_the_order_state_carries_the_advisor_block(client, alice, claude_history):
    client.force_login(alice)
    state = client.get(reverse("desk:order_state", args=[claude_history.pk])).json()
    block = state["advisor"]
    assert block["advisor"] == "anthropic" and block["queries"] == 3 and block["fallback_reasons"] == {"timeout": 1}
    assert block["rate"] == 1.5 and block["value_added_bps"] == 3.0
    assert block["last_query"]["error"] == "Claude <b>timed out</b> after 10 s"
    accelerate = next(p for p in state["proposals"] if p["seq"] == 1)
    assert accelerate["new_rate"] == 1.5 and accelerate["expected_impact_bps"] == 4.2


def test_the_page_loads_the_panel_script_and_the_card_has_rate_and_impact_slots(client, alice, claude_order):
    page = _page(client, alice, claude_order)
    assert page.index("desk/order-advisor.js") < page.index("desk/order.js")
    assert 'data-slot="new_rate"' in page and 'data-slot="expected_impact"' in page


def test_the_pretrade_estimate_shows_claudes_multiplier_base_and_adjusted(client, alice, claude_order):
    pretrade = {**claude_order.pretrade, "llm_adjustment": {
        "raw": 3.0, "applied": 2.0, "clamped": True, "reasoning": "funding <spikes> ahead",
        "base_impact_bps": 4.25, "impact_bps": 8.5, "expected_cost_bps": 10.75}}
    ParentOrder.objects.filter(pk=claude_order.pk).update(pretrade=pretrade)
    page = _page(client, alice, claude_order)
    assert "Claude's impact multiplier" in page
    assert '×2 <span class="muted">(proposed ×3, clamped)</span>' in page
    assert _text(page, "pretrade-llm-impact") == "4.25 → 8.50 bps"
    assert _text(page, "pretrade-llm-cost") == "10.75 bps"
    assert "funding &lt;spikes&gt; ahead" in page
    assert 'id="pretrade-llm-pending"' not in page


def test_the_pretrade_estimate_says_why_claude_gave_no_multiplier(client, alice, claude_order):
    pretrade = {**claude_order.pretrade, "llm_adjustment": {"error": "Claude failed (rate limited)"}}
    ParentOrder.objects.filter(pk=claude_order.pk).update(pretrade=pretrade)
    page = _page(client, alice, claude_order)
    assert "Claude failed (rate limited)" in _text(page, "pretrade-llm-error")
    assert 'id="pretrade-llm-factor"' not in page


def test_the_form_offers_claude_only_when_the_desk_has_a_key(client, alice, monkeypatch, no_claude_key):
    client.force_login(alice)
    page = client.get(reverse("desk:home")).content.decode()
    assert "Strategy&#x27;s own (schedule / rules)" in page
    assert 'value="anthropic"' not in page
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    advice.claude_config.cache_clear()
    page = client.get(reverse("desk:home")).content.decode()
    assert '<option value="anthropic">Claude (anthropic)</option>' in page
    assert KEY not in page


def test_a_claude_order_from_the_form_takes_sixty_seconds_when_the_interval_is_blank(client, alice, claude_key):
    client.force_login(alice)
    response = client.post(reverse("desk:order_create"), {**ORDER_FORM, "advisor": "anthropic",
                                                          "interval_seconds": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    parent = ParentOrder.objects.get()
    assert parent.advisor == "anthropic" and parent.interval_seconds == 60
    assert AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.IMPACT).exists()


def test_the_strategys_own_advisor_with_a_blank_interval_takes_the_desk_default(client, alice, settings,
                                                                                  claude_key):
    client.force_login(alice)
    response = client.post(reverse("desk:order_create"), {**ORDER_FORM, "advisor": "", "interval_seconds": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    parent = ParentOrder.objects.get()
    assert parent.advisor == "schedule"
    assert parent.interval_seconds == settings.EXECDESK["DEFAULT_INTERVAL_SECONDS"]


def test_the_form_still_refuses_an_interval_under_five_seconds(client, alice, claude_key):
    client.force_login(alice)
    response = client.post(reverse("desk:order_create"), {**ORDER_FORM, "advisor": "anthropic",
                                                          "interval_seconds": "3"})
    assert response.status_code == 400
    assert not ParentOrder.objects.exists()


def test_claude_cannot_be_posted_without_a_key(client, alice, no_claude_key):
    client.force_login(alice)
    response = client.post(reverse("desk:order_create"), {**ORDER_FORM, "advisor": "anthropic",
                                                          "interval_seconds": "30"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_advisor-error"' in page and "anthropic is not one of the available choices" in page
    assert not ParentOrder.objects.exists()
