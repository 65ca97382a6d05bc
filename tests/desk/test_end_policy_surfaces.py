"""The end-time policy is one parameter with one name everywhere: `end_policy` in the API and the form,
`--end-policy` in `manage.py execute` and the backtest; each run reaches its policy's terminal state."""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command

from execdesk.desk.models import AuditEvent, ParentOrder
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db

T0 = 1_767_619_800.0


def test_the_api_takes_and_shows_the_end_policy(alice):
    api = Api(token_for(alice))
    r = api.post("/api/orders", {**ORDER, "end_policy": "expire"})
    assert r.status_code == 201, r.content
    assert r.json()["end_policy"] == "expire"
    assert ParentOrder.objects.get(pk=r.json()["id"]).end_policy == "expire"
    assert api.post("/api/orders", ORDER).json()["end_policy"] == "finish"
    bad = api.post("/api/orders", {**ORDER, "end_policy": "someday"})
    assert bad.status_code == 422 and "end_policy" in bad.content.decode()


def test_the_form_takes_the_end_policy(client, alice):
    client.force_login(alice)
    form = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": "600",
            "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual", "end_policy": "continue"}
    r = client.post("/orders/new/", form)
    assert r.status_code == 302
    parent = ParentOrder.objects.get()
    assert parent.end_policy == "continue"
    created = AuditEvent.objects.get(parent_order_id=parent.pk, action="parent.created")
    assert created.payload["end_policy"] == "continue"
    page = client.get(f"/orders/{parent.pk}/").content.decode()
    assert "Continue: keep working at the last rate until done or cancelled" in page


def _execute(tmp_path, monkeypatch, *args: str) -> tuple[dict, str]:
    """`manage.py execute` on the simulated market, its clock moved by the run's own waits."""
    out = tmp_path / "run.json"
    monkeypatch.setitem(settings.EXECDESK, "TICK_SECONDS", 5.0)
    stdout = StringIO()
    error = ""
    with time_machine.travel(T0, tick=False) as traveller:
        monkeypatch.setattr(time, "sleep", lambda seconds: traveller.shift(seconds))
        monkeypatch.setattr(time, "monotonic", time.time)
        try:
            call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.2", "--horizon", "60",
                         "--interval", "10", "--venue", "paper", "--market", "sim", "--advisor", "none",
                         "--json", str(out), *args, stdout=stdout)
        except CommandError as exc:
            error = str(exc)
    return json.loads(out.read_text()), error


@pytest.mark.django_db(transaction=True)
def test_execute_expire_with_nobody_approving_ends_expired_at_the_deadline(tmp_path, monkeypatch):
    data, error = _execute(tmp_path, monkeypatch, "--approve", "manual", "--end-policy", "expire")
    parent = data["parent"]
    assert parent["status"] == "EXPIRED" and parent["end_policy"] == "expire"
    assert parent["remaining_qty"] == "0.2"
    assert data["run"]["timed_out"] is False and data["run"]["reason"] == "parent order expired"
    assert 60 <= data["run"]["wall_s"] <= 60 + 5  # at the deadline, to the tick
    assert "ended EXPIRED" in error  # not complete: the exit code says so


@pytest.mark.django_db(transaction=True)
def test_execute_finish_completes_on_autopilot(tmp_path, monkeypatch):
    data, error = _execute(tmp_path, monkeypatch, "--approve", "auto", "--end-policy", "finish")
    assert data["parent"]["status"] == "COMPLETE" and data["parent"]["end_policy"] == "finish" and not error


def test_an_unknown_end_policy_is_refused_by_the_commands():
    with pytest.raises(CommandError, match="invalid choice: 'soon'"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.1", "--horizon", "60",
                     "--end-policy", "soon")
    with pytest.raises(CommandError, match="invalid choice: 'soon'"):
        call_command("backtest", "--end-policy", "soon")


def test_the_backtest_runs_each_order_to_its_policy_end(tmp_path):
    out = tmp_path / "bt.json"
    call_command("backtest", "--strategies", "twap,pov", "--scenarios", "calm", "--seeds", "2", "--side", "buy",
                 "--horizon", "120", "--interval", "10", "--qty", "1", "--workers", "1", "--end-policy", "expire",
                 "--json", str(out), stdout=StringIO())
    data = json.loads(out.read_text())
    assert data["suite"]["order"]["end_policy"] == "expire"
    assert {r["end_state"] for r in data["rows"]} <= {"COMPLETE", "EXPIRED"}
    for row in data["rows"]:
        assert row["duration_s"] is None or row["duration_s"] <= 120 + 1e-6
        if row["end_state"] == "EXPIRED":
            assert row["fill_rate"] < 1 and row["is_completion_bps"] is not None
