"""Shared pieces for tests of the Claude advisor: an order context, decisions read off the prompt the desk
sent (so a scripted 'model' answers within or deliberately outside the limits it was told), and the
environment that points the real SDK at the loopback Messages API server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from execdesk.advisors.base import AdvisorContext, PastDecision
from execdesk.advisors.claude_config import ClaudeConfig
from execdesk.advisors.schema import DECISION_TOOL, IMPACT_TOOL
from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.base import StrategyDecision
from tests.loopback.anthropic_server import AnthropicLoopbackServer, tool_reply

START = 1_767_225_600.0
BID, ASK = 65_000.0, 65_003.0


def market() -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=START + 120, mid=(BID + ASK) / 2, best_bid=BID, best_ask=ASK,
                          bids=tuple(Level(BID - i * 0.5, 0.4 + i * 0.1) for i in range(5)),
                          asks=tuple(Level(ASK + i * 0.5, 0.3 + i * 0.1) for i in range(5)),
                          last_trades=(Trade(START + 119, ASK, 0.05, "buy"), Trade(START + 119.5, BID, 0.02, "sell")),
                          volume_1m=60.0, volume_1h=3_000.0, volatility_1h=0.01, funding_rate=0.0001,
                          oi_change_1h=0.012)


def context(*, notes: str = "", executed: float = 0.2, rate: float = 1.0,
            history: tuple[PastDecision, ...] = ()) -> AdvisorContext:
    progress = OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=1.0, executed=executed,
                             decision_price=65_000.0, started_at=START, deadline=START + 600, now=START + 120,
                             avg_price=65_001.0 if executed else None)
    decision = StrategyDecision(action=Action.AGGRESSIVE, quantity=0.1, schedule_target=0.3,
                                reason="TWAP is 0.1 behind its schedule.")
    return AdvisorContext(progress=progress, market=market(), instrument=BTCUSDT, limits=RiskLimits(),
                          strategy="twap", interval_s=60.0, baseline_qty=0.1, schedule_target=0.3, notes=notes,
                          history=history, decision=decision, rate=rate)


def decision(**fields: Any) -> dict[str, Any]:
    """A complete, valid PASSIVE decision for `context()`; `fields` replace any of it."""
    base: dict[str, Any] = {
        "action": "PASSIVE", "quantity": 0.05, "order_type": "LIMIT", "limit_price": BID,
        "time_in_force": "GTC", "wait_seconds": None, "new_rate": None,
        "reasoning": "Spread 0.46 bps and the bid side is deeper: post at the bid and earn the spread.",
        "confidence": 0.8, "risk_assessment": "May not fill if the market lifts.", "expected_impact_bps": 0.5,
    }
    base.update(fields)
    return base


def figure(prompt: str, pattern: str) -> float:
    match = re.search(pattern, prompt)
    assert match, f"the prompt has no {pattern!r}"
    return float(match.group(1).replace(",", ""))


def decision_from_prompt(body: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid PASSIVE decision sized to the limits the prompt states (half the allowed quantity, at the
    best bid or ask the prompt shows for the side)."""
    prompt = body["messages"][0]["content"]
    allowed = figure(prompt, r"Quantity: at most ([0-9.e+-]+) now")
    buy = "Side: BUY" in prompt
    touch = figure(prompt, r"Best bid: [0-9.e+-]+ @ ([0-9,.]+)" if buy else r"Best ask: [0-9.e+-]+ @ ([0-9,.]+)")
    answer = decision(quantity=round(allowed / 2, 3), limit_price=touch)
    answer.update(fields)
    return answer


def answer_with(server: AnthropicLoopbackServer, make=decision_from_prompt, **fields: Any) -> None:
    """Answer decision questions with `make(body, **fields)` and impact questions with a 1.2 multiplier."""
    def respond(body: dict[str, Any]):
        if body["tool_choice"]["name"] == IMPACT_TOOL:
            return tool_reply(IMPACT_TOOL, {"multiplier": 1.2, "reasoning": "Thin book ahead of the US open."})
        return tool_reply(DECISION_TOOL, make(body, **fields))

    server.responder = respond


def config_for(server: AnthropicLoopbackServer, **overrides: Any) -> ClaudeConfig:
    values: dict[str, Any] = {"api_key": server.api_key, "base_url": server.url, "timeout_s": 2.0,
                              "max_retries": 1, "model": "claude-sonnet-4-6"}
    values.update(overrides)
    return ClaudeConfig(**values)


@pytest.fixture
def claude_env(anthropic_server: AnthropicLoopbackServer, monkeypatch: pytest.MonkeyPatch):
    """The desk's environment aimed at the loopback server (the config is re-read for the test)."""
    from execdesk.desk.services.advice import claude_config

    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_server.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    monkeypatch.setenv("EXECDESK_LLM_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("EXECDESK_LLM_MODEL", "claude-sonnet-4-6")
    claude_config.cache_clear()
    yield anthropic_server
    claude_config.cache_clear()
