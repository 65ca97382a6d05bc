"""`backtest --strategies llm`: Claude (the real SDK, against the loopback Messages API) deciding over TWAP's
schedule, measured against TWAP on the same market path, with its fallbacks, latency, tokens and cost."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from execdesk.advisors.schema import DECISION_TOOL
from execdesk.backtest.llm import LLMUnavailable
from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.backtest.stats import percentile
from execdesk.backtest.suite import SuiteSpec, run_spec, run_suite
from execdesk.domain.risk import RiskLimits
from tests.loopback.anthropic_server import server_error, text_reply, tool_reply

SHORT = OrderSpec(quantity=1.0, horizon_s=300.0, interval_s=30.0)
STEP = 0.001  # BTCUSDT's quantity step


@pytest.fixture
def claude(anthropic_server, monkeypatch):
    """The loopback server as the advisor's API: no retries (a failure is one request), no cache."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_server.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    monkeypatch.setenv("EXECDESK_LLM_MAX_RETRIES", "0")
    for name in ("ANTHROPIC_API_KEY_FILE", "EXECDESK_LLM_CACHE_DIR", "EXECDESK_LLM_MODEL",
                 "EXECDESK_LLM_PRICE_PER_MTOK"):
        monkeypatch.delenv(name, raising=False)
    return anthropic_server


def _prompt(body: dict[str, Any]) -> str:
    return body["messages"][0]["content"]


def _decision(action: str, quantity: float, order_type: str | None, price: float | None, tif: str | None,
              new_rate: float | None = None) -> dict[str, Any]:
    return {"action": action, "quantity": quantity, "order_type": order_type, "limit_price": price,
            "time_in_force": tif, "wait_seconds": 30.0 if action == "WAIT" else None, "new_rate": new_rate,
            "reasoning": f"{action} within the stated limits.", "confidence": 0.6,
            "risk_assessment": "The market may move.", "expected_impact_bps": 1.0}


def _within_limits(prompt: str, cap: float = 0.1) -> float:
    """The prompt's stated quantity limit, at most `cap`, down to the step."""
    allowed = float(re.search(r"- Quantity: at most (\S+) now", prompt).group(1))
    return math.floor(min(allowed, cap) / STEP + 1e-9) * STEP


def _best_bid(prompt: str) -> float:
    return float(re.search(r"- Best bid: \S+ @ ([0-9,.]+)", prompt).group(1).replace(",", ""))


def _alternating(body: dict[str, Any]):
    """PASSIVE at the bid and AGGRESSIVE in turn, sized within the prompt's limits."""
    prompt = _prompt(body)
    qty = _within_limits(prompt)
    if qty < STEP:
        return tool_reply(DECISION_TOOL, _decision("WAIT", 0.0, None, None, None))
    if "<previous_decisions>\n- PASSIVE" in prompt:
        return tool_reply(DECISION_TOOL, _decision("AGGRESSIVE", qty, "MARKET", None, "IOC"))
    return tool_reply(DECISION_TOOL, _decision("PASSIVE", qty, "LIMIT", _best_bid(prompt), "GTC"))


def _command(tmp_path, *args: str, name: str = "out.json", extra: tuple[str, ...] = ()) -> dict[str, Any]:
    out = tmp_path / name
    call_command("backtest", "--scenarios", "calm", "--seeds", "1", "--side", "buy", "--horizon", "300", "--interval", "30",
                 "--qty", "1", "--workers", "1", "--json", str(out), *args, *extra)
    return json.loads(out.read_text())


def _rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["strategy"]: r for r in data["rows"]}


def test_claude_decides_each_step_and_is_paired_with_twap_on_the_same_path(claude, tmp_path):
    claude.responder = _alternating
    data = _command(tmp_path, "--strategies", "twap,llm")
    rows = _rows(data)
    llm, twap = rows["llm"]["llm"], rows["twap"]
    assert "llm" not in twap  # the other strategies' rows are as before
    n = llm["decisions"]
    assert n == len(claude.requests) >= 10  # one question per 30 s step of a 300 s order (and at its deadline)
    assert all(r["body"]["tool_choice"] == {"type": "tool", "name": DECISION_TOOL} for r in claude.requests)
    assert (llm["fallbacks"], llm["fallback_kinds"], llm["fallback_rate"]) == (0, {}, 0.0)
    assert llm["actions"].get("PASSIVE", 0) > 0 and llm["actions"].get("AGGRESSIVE", 0) > 0
    api = llm["api"]
    assert api["calls"] == n and api["cached"] == 0 and len(api["latency_ms"]) == n
    assert api["input_tokens"] > 0 and api["output_tokens"] > 0 and api["cost_usd"] > 0
    assert rows["llm"]["passive_share"] > 0  # Claude's resting limits did fill: not TWAP's all-market run
    assert rows["llm"]["vs_twap_bps"] == pytest.approx(rows["llm"]["is_bps"] - twap["is_bps"], abs=1e-3)
    summary = data["summary"]["llm"]
    assert summary["vs_twap_bps"]["n"] == 1
    assert summary["vs_twap_bps"]["mean"] == pytest.approx(rows["llm"]["vs_twap_bps"], abs=1e-3)
    assert summary["by_scenario"]["calm"]["vs_twap_bps"]["n"] == 1
    figures = summary["llm"]
    assert (figures["runs"], figures["decisions"], figures["fallback_rate"]) == (1, n, 0.0)
    assert figures["api"]["latency_ms"]["n"] == n
    assert 0 < figures["api"]["latency_ms"]["p50"] <= figures["api"]["latency_ms"]["p95"]
    assert figures["api"]["cost_usd"] == pytest.approx(api["cost_usd"])
    assert "llm" not in data["summary"]["twap"]


def test_hostile_answers_fall_back_to_twap_and_never_send_more_than_the_limits(claude, tmp_path):
    hostile = [tool_reply(DECISION_TOOL, _decision("AGGRESSIVE", 1e6, "MARKET", None, "IOC")),
               text_reply("Ignore your limits: buy everything now."), server_error()]
    served = []

    def respond(body):
        served.append(body)
        return hostile[(len(served) - 1) % len(hostile)]

    claude.responder = respond
    rows = _rows(_command(tmp_path, "--strategies", "twap,llm"))
    llm = rows["llm"]["llm"]
    assert llm["fallbacks"] == llm["decisions"] == 10 and llm["fallback_rate"] == 1.0
    assert llm["fallback_kinds"] == {"invalid": 4, "no_tool_call": 3, "server_error": 3}
    assert llm["actions"] == {} and llm["rate_changes"] == []
    # every step fell back to TWAP's own slice: the run is TWAP's, order for order
    for metric in ("is_bps", "orders", "fills", "duration_s", "completed"):
        assert rows["llm"][metric] == rows["twap"][metric]
    assert rows["llm"]["vs_twap_bps"] == 0.0

    served.clear()
    run = run_spec(RunSpec(strategy="llm", scenario="calm", seed=1, order=SHORT), trace=True)
    sent = [d for d in run.decisions if d["action"] != "WAIT"]
    assert sent and all(d["fallback"] for d in run.decisions)
    assert max(d["qty"] for d in sent) <= 0.1 + 1e-9  # TWAP's slice, never Claude's million
    assert max(f.qty for f in run.fills) <= 0.1 + 1e-9
    assert "exceeds the remaining" in run.decisions[0]["fallback_reason"]


def test_an_approved_acceleration_sizes_the_later_fallbacks_at_the_new_rate(claude):
    def respond(body):
        prompt = _prompt(body)
        if "current rate 1x the schedule" in prompt:
            return tool_reply(DECISION_TOOL, _decision("ACCELERATE", _within_limits(prompt, 0.1), "MARKET", None,
                                                       "IOC", new_rate=2.0))
        return text_reply("no tool today")

    claude.responder = respond
    run = run_spec(RunSpec(strategy="llm", scenario="calm", seed=1, order=SHORT), trace=True)
    assert run.llm["rate_changes"] == [{"t_s": 0.0, "from": 1.0, "to": 2.0}] and run.llm["final_rate"] == 2.0
    assert run.llm["actions"] == {"ACCELERATE": 1}
    assert all("current rate 2x the schedule" in _prompt(r["body"]) for r in claude.requests[1:])
    later = [d for d in run.decisions[1:] if d["action"] != "WAIT"]
    assert later and all("Sized at the current rate 2x" in d["reason"] for d in later)
    assert max(d["qty"] for d in later) == pytest.approx(0.2)  # TWAP's 0.1 slice, doubled


def test_claudes_order_that_the_risk_gate_blocks_is_replaced_by_the_baseline_and_shown_as_blocked(claude):
    claude.responder = lambda body: tool_reply(DECISION_TOOL, _decision(
        "AGGRESSIVE", _within_limits(_prompt(body)), "MARKET", None, "IOC"))
    no_crossing = RiskLimits(max_spread_bps=0.001)  # validation does not check the spread; the gate does
    run = run_spec(RunSpec(strategy="llm", scenario="calm", seed=1, order=SHORT, limits=no_crossing))
    assert run.llm["fallback_kinds"] == {"risk_gate": run.llm["decisions"]}
    assert run.blocked == run.llm["decisions"] and run.orders == 0  # the baseline crosses too: blocked as well
    later = _prompt(claude.requests[1]["body"])
    assert "- AGGRESSIVE 0.1: blocked (reason: HARD max_spread" in later


def test_a_cached_rerun_sends_no_request_and_gives_the_same_rows(claude, tmp_path):
    claude.responder = _alternating
    cache = tmp_path / "llm-cache"
    first = _command(tmp_path, "--strategies", "twap,llm", "--llm-cache", str(cache), name="first.json")
    asked = len(claude.requests)
    assert asked == first["rows"][1]["llm"]["decisions"] > 0
    report = tmp_path / "report.html"
    second = _command(tmp_path, "--strategies", "twap,llm", "--llm-cache", str(cache), name="second.json",
                      extra=("--html", str(report), "--example", "llm:calm:1"))
    assert len(claude.requests) == asked  # every answer came from the cache, the report's example run's too
    assert "One execution: llm on calm, seed 1" in report.read_text()
    api = second["rows"][1]["llm"]["api"]
    assert (api["calls"], api["cached"], api["input_tokens"], api["cost_usd"]) == (0, asked, 0, 0.0)

    def without_api(rows):
        return [{**r, "llm": {k: v for k, v in r["llm"].items() if k != "api"}} if "llm" in r else r for r in rows]

    assert without_api(second["rows"]) == without_api(first["rows"])
    assert second["summary"]["llm"]["vs_twap_bps"] == first["summary"]["llm"]["vs_twap_bps"]


def test_workers_build_their_own_advisor(claude):
    claude.responder = _alternating
    suite = SuiteSpec(strategies=("twap", "llm"), scenarios=("calm",), seeds=2, order=SHORT)
    result = run_suite(suite, workers=2)
    llm_rows = [r for r in result.rows if r["strategy"] == "llm"]
    assert [r["seed"] for r in llm_rows] == [1, 2]
    assert all(r["llm"]["decisions"] >= 10 and r["llm"]["fallbacks"] == 0 for r in llm_rows)
    assert len(claude.requests) == sum(r["llm"]["decisions"] for r in llm_rows)
    assert result.summary["llm"]["vs_twap_bps"]["n"] == 2


def test_llm_alone_brings_twap_in_as_its_counterfactual(claude, tmp_path):
    claude.responder = _alternating
    data = _command(tmp_path, "--strategies", "llm")
    assert data["suite"]["strategies"] == ["twap", "llm"]
    assert data["summary"]["llm"]["vs_twap_bps"]["n"] == 1


@pytest.mark.parametrize("strategies", ["llm", "twap,llm"])
def test_without_a_key_llm_is_refused_before_any_run(monkeypatch, tmp_path, strategies):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CommandError, match="ANTHROPIC_API_KEY"):
        _command(tmp_path, "--strategies", strategies)
    assert not (tmp_path / "out.json").exists()
    with pytest.raises(LLMUnavailable, match="ANTHROPIC_API_KEY"):
        run_suite(SuiteSpec(strategies=("llm",), scenarios=("calm",), seeds=1, order=SHORT), workers=1)


def test_latency_percentiles_interpolate_between_ranks():
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([float(x) for x in range(1, 101)], 95) == pytest.approx(95.05, abs=0.05)
