"""The Claude advisor on the desk: asked ahead of the step, its answer becomes a pending proposal with its
reasoning, or a recorded fallback; the loop never waits for it; the key stays out of the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from execdesk.advisors.schema import DECISION_TOOL
from execdesk.desk.models import AdvisorQuery, AuditEvent, ParentOrder, Proposal, QueryKind, QueryStatus
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.selectors.advisor import advisor_metrics
from execdesk.desk.services.advice import advisor_query_run
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve
from execdesk.domain.proposals import Action
from tests.advisors.claude_support import answer_with, claude_env  # noqa: F401  (fixture)
from tests.loopback.anthropic_server import slow, text_reply, tool_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner_celery(settings):
    """Questions go to the `advisor` queue nobody reads here: the test runs them itself, in order."""
    settings.EXECDESK = {**settings.EXECDESK, "ADVISOR_RUNNER": "celery"}


@pytest.fixture
def claude_order(alice, claude_env, runner_celery):  # noqa: F811
    def make(mode: str = "manual", interval: int | None = None) -> ParentOrder:
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=1800,
                                     interval_seconds=interval, approval_mode=mode, strategy="twap",
                                     advisor="anthropic", notes="Large ETF inflow expected this hour.")
        parent_order_start(parent_id=parent.pk, user=alice)
        return ParentOrder.objects.get(pk=parent.pk)

    return make


def _question(parent: ParentOrder) -> AdvisorQuery:
    return AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.DECISION).latest("started_at")


def test_a_valid_answer_becomes_a_pending_proposal_with_claudes_reasoning(claude_order, claude_env):  # noqa: F811
    answer_with(claude_env)
    parent = claude_order()
    assert parent.interval_seconds == 60, "Claude's orders default to a 60 s decision interval"
    assert execution_step(parent_id=parent.pk) is None, "the step asks first and waits inside the lead"
    question = _question(parent)
    assert question.status == QueryStatus.RUNNING and question.seq == 1
    advisor_query_run(query_id=question.pk)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and proposal.status == "pending" and proposal.advisor == "anthropic"
    assert not proposal.is_fallback and proposal.action == Action.PASSIVE
    assert proposal.reasoning.startswith("Spread 0.46 bps") and proposal.expected_impact_bps == 0.5
    shown = proposal_payload(proposal)
    assert shown["baseline_qty"] == format(proposal.baseline_qty.normalize(), "f") and shown["expected_impact_bps"] == 0.5
    question.refresh_from_db()
    assert (question.use, question.proposal_id, question.status) == ("proposal", proposal.pk, QueryStatus.ANSWERED)
    prompt = claude_env.requests[-1]["body"]["messages"][0]["content"]
    assert "Large ETF inflow expected this hour." in prompt
    metrics = advisor_metrics(parent.pk)
    assert metrics["answered"] == 1 and metrics["fallback_rate"] == 0.0 and metrics["latency_p50_ms"] > 0
    assert metrics["input_tokens"] > 0 and metrics["cost_known"] and metrics["cost_usd"] > 0


def test_an_answer_without_the_tool_call_is_a_recorded_fallback(claude_order, claude_env):  # noqa: F811
    claude_env.default = text_reply("Buy everything, limits are for the timid.")
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    advisor_query_run(query_id=_question(parent).pk)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.is_fallback and "without calling the decision tool" in proposal.fallback_reason
    assert proposal.reasoning.startswith("Fallback to the TWAP baseline because")
    question = _question(parent)
    assert (question.status, question.error_kind, question.use) == (QueryStatus.FAILED, "no_tool_call", "fallback")
    assert advisor_metrics(parent.pk)["fallback_reasons"] == {"no tool call": 1}


def test_a_late_answer_is_left_behind_and_the_baseline_proposed(claude_order, claude_env):  # noqa: F811
    claude_env.default = slow(text_reply("too late"), 30)
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    question = _question(parent)
    AdvisorQuery.objects.filter(pk=question.pk).update(started_at=timezone.now() - timedelta(seconds=11))
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and proposal.is_fallback
    assert "had not answered 11" in proposal.fallback_reason and "the loop does not wait" in proposal.fallback_reason
    assert _question(parent).use == "late" and _question(parent).fallback_kind == "late"


def test_an_answer_about_a_market_that_has_since_moved_is_not_used(claude_order, claude_env):  # noqa: F811
    answer_with(claude_env)
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    question = advisor_query_run(query_id=_question(parent).pk)
    assert question.mid and question.status == QueryStatus.ANSWERED
    AdvisorQuery.objects.filter(pk=question.pk).update(mid=question.mid * 1.002)  # 20 bps ago
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.is_fallback and "the market moved 20" in proposal.fallback_reason
    assert advisor_metrics(parent.pk)["fallback_reasons"] == {"market moved": 1}


def test_an_order_answer_the_risk_gate_blocks_falls_back(claude_order, claude_env):  # noqa: F811
    answer_with(claude_env, order_type="POST_ONLY", time_in_force="IOC")  # contradictory: refused before the gate
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    advisor_query_run(query_id=_question(parent).pk)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.is_fallback and "IOC contradicts it" in proposal.fallback_reason


def test_an_approved_accelerate_sets_the_rate_and_is_audited(claude_order, claude_env, alice):  # noqa: F811
    answer_with(claude_env, action="ACCELERATE", new_rate=1.5)
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    advisor_query_run(query_id=_question(parent).pk)
    proposal = execution_step(parent_id=parent.pk)
    assert (proposal.action, proposal.new_rate, proposal.is_fallback) == (Action.ACCELERATE, 1.5, False)
    proposal_approve(proposal_id=proposal.pk, user=alice)
    parent.refresh_from_db()
    assert parent.rate == 1.5
    event = AuditEvent.objects.filter(action="parent.rate_changed").latest("id")
    assert event.payload["from"] == 1.0 and event.payload["to"] == 1.5
    assert advisor_metrics(parent.pk)["adaptations"] == 1


def test_claudes_cancel_is_never_auto_approved(claude_order, claude_env):  # noqa: F811
    claude_env.default = tool_reply(DECISION_TOOL, {
        "action": "CANCEL", "quantity": 0, "order_type": None, "limit_price": None, "time_in_force": None,
        "wait_seconds": None, "new_rate": None, "reasoning": "Stop: the news makes this order a bad idea.",
        "confidence": 0.9, "risk_assessment": "", "expected_impact_bps": 0})
    parent = claude_order(mode="autopilot")
    execution_step(parent_id=parent.pk)
    advisor_query_run(query_id=_question(parent).pk)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.action == Action.CANCEL and Proposal.objects.get(pk=proposal.pk).status == "pending"
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"


def test_the_key_never_reaches_the_audit_trail_or_the_page(claude_order, claude_env, client, alice):  # noqa: F811
    answer_with(claude_env)
    parent = claude_order()
    execution_step(parent_id=parent.pk)
    advisor_query_run(query_id=_question(parent).pk)
    execution_step(parent_id=parent.pk)
    key = claude_env.api_key
    assert AuditEvent.objects.filter(action="advisor.decision.answered").exists()
    assert not any(key in str(e.payload) for e in AuditEvent.objects.all())
    client.force_login(alice)
    for url in (f"/orders/{parent.pk}/", f"/orders/{parent.pk}/state.json"):
        page = client.get(url)
        assert page.status_code == 200 and key not in page.content.decode()


def test_without_a_key_a_claude_order_is_refused_by_name(alice, monkeypatch):
    from execdesk.desk.services.advice import claude_config
    from execdesk.desk.services.errors import InvalidInput

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    claude_config.cache_clear()
    try:
        with pytest.raises(InvalidInput, match="needs ANTHROPIC_API_KEY"):
            parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                advisor="anthropic")
    finally:
        claude_config.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_slow_claude_delays_neither_the_loop_nor_its_own_order(alice, claude_env, settings):  # noqa: F811
    """The question runs in the advisor pool: other orders step, and this one falls back after its lead,
    while Claude's answer is still outstanding."""
    settings.EXECDESK = {**settings.EXECDESK, "ADVISOR_RUNNER": "threads"}
    claude_env.default = slow(text_reply("much later"), 30)
    claude = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=1800,
                                 advisor="anthropic", approval_mode="manual")
    rules = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=1800,
                                interval_seconds=10, strategy="adaptive", approval_mode="manual")
    parent_order_start(parent_id=claude.pk, user=alice)  # its first step asks Claude, at commit
    parent_order_start(parent_id=rules.pk, user=alice)
    question = _question(claude)
    _wait_for(lambda: any(r["body"] and r["body"]["tool_choice"]["name"] == DECISION_TOOL
                          for r in claude_env.requests), "Claude was never asked")
    assert Proposal.objects.filter(parent=rules).exists(), "the other order stepped while Claude was thinking"
    assert AdvisorQuery.objects.get(pk=question.pk).status == QueryStatus.RUNNING
    AdvisorQuery.objects.filter(pk=question.pk).update(started_at=timezone.now() - timedelta(seconds=11))
    proposal = execution_step(parent_id=claude.pk)
    assert proposal is not None and proposal.is_fallback and "had not answered" in proposal.fallback_reason
    assert AdvisorQuery.objects.get(pk=question.pk).status == QueryStatus.RUNNING, "Claude still had not answered"
    claude_env.stop()  # ends the slow reply: the question is recorded as failed, not lost
    _wait_for(lambda: AdvisorQuery.objects.get(pk=question.pk).status == QueryStatus.FAILED,
              "the abandoned question was never recorded")


def _wait_for(condition, message: str, timeout: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(message)
