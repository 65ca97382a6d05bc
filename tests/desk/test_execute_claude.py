"""`manage.py execute --advisor anthropic`: the same desk path with Claude (the real SDK, the loopback
Messages API), auto-approved, in real time; the JSON says which proposals were Claude's and what it cost."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from execdesk.desk.models import AdvisorQuery
from tests.advisors.claude_support import answer_with, claude_env  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_execute_with_claude_runs_the_order_on_claudes_proposals(claude_env, tmp_path):  # noqa: F811
    answer_with(claude_env, action="AGGRESSIVE", order_type="MARKET", limit_price=None, time_in_force="IOC")
    out = tmp_path / "run.json"
    call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.05", "--horizon", "30",
                 "--interval", "5", "--strategy", "twap", "--venue", "paper", "--market", "sim",
                 "--advisor", "anthropic", "--approve", "auto", "--json", str(out), stdout=StringIO())
    data = json.loads(out.read_text())
    assert data["parent"]["advisor"] == "anthropic"
    own = [p for p in data["proposals"] if p["advisor"] == "anthropic" and not p["fallback"]]
    assert own and all(p["action"] == "AGGRESSIVE" for p in own)
    assert data["fills"], "Claude's market orders filled on the paper venue"
    advisor = data["tca"]["advisor"]
    assert advisor["answered"] >= len(own) and advisor["latency_p50_ms"] > 0 and advisor["input_tokens"] > 0
    assert advisor["fallback_rate"] == sum(p["fallback"] for p in data["proposals"]) / len(data["proposals"])
    assert "impact" in advisor and AdvisorQuery.objects.filter(kind="impact").exists()
    assert claude_env.api_key not in out.read_text()
