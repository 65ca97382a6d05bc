"""A scheduled start: an order started before its `start_at` waits — no proposal, nothing sent — and its
schedule and deadline begin then. `start_at` in the API and the form, `--start-at` in `manage.py execute` and
the backtest."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.execution import execution_step
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db




def test_an_order_started_early_waits_for_its_start_and_its_schedule_begins_then(clock, make_order):
    begin = clock.now + timedelta(seconds=120)
    parent = make_order(quantity="1.2", horizon=600, interval=60, start_at=begin)
    assert parent.status == "ACTIVE" and parent.started_at == begin
    assert parent.deadline == begin + timedelta(seconds=600)
    assert execution_step(parent_id=parent.pk) is None
    assert ParentOrder.objects.get(pk=parent.pk).next_step_at == begin  # looked at again when it starts
    clock.advance(119)
    assert execution_step(parent_id=parent.pk) is None
    clock.advance(1)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and float(proposal.baseline_qty) == pytest.approx(0.12)  # the first slice only


def test_a_start_in_the_past_or_too_far_ahead_is_refused(make_order):
    with pytest.raises(InvalidInput, match="start_at .* is not in the future"):
        make_order(start=False, start_at=timezone.now() - timedelta(seconds=5))
    with pytest.raises(InvalidInput, match="more than 7 days ahead"):
        make_order(start=False, start_at=timezone.now() + timedelta(days=8))
    with pytest.raises(InvalidInput, match="start_at 'tomorrow' is not a date and time"):
        make_order(start=False, start_at="tomorrow")


def test_the_api_and_the_form_carry_the_start(alice, client):
    begin = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    r = Api(token_for(alice)).post("/api/orders", {**ORDER, "start_at": begin.isoformat()})
    assert r.status_code == 201 and r.json()["start_at"] == begin.timestamp()
    client.force_login(alice)
    form = {"venue": "paper", "symbol": "BTCUSDT", "side": "sell", "quantity": "0.5", "horizon_seconds": "600",
            "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual",
            "start_at": begin.strftime("%Y-%m-%dT%H:%M:%S")}
    assert client.post("/orders/new/", form).status_code == 302
    assert ParentOrder.objects.get(side="sell").start_at == begin


T0 = 1_767_619_800.0


@pytest.mark.django_db(transaction=True)
def test_execute_waits_for_its_start_then_runs_the_order(tmp_path, monkeypatch):
    out = tmp_path / "run.json"
    monkeypatch.setitem(settings.EXECDESK, "TICK_SECONDS", 5.0)
    begin = datetime.fromtimestamp(T0 + 60, tz=UTC)
    with time_machine.travel(T0, tick=False) as traveller:
        monkeypatch.setattr(time, "sleep", lambda seconds: traveller.shift(seconds))
        monkeypatch.setattr(time, "monotonic", time.time)
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.2", "--horizon", "60",
                     "--interval", "10", "--venue", "paper", "--market", "sim", "--advisor", "none",
                     "--approve", "auto", "--start-at", begin.isoformat(), "--json", str(out), stdout=StringIO())
    data = json.loads(out.read_text())
    assert data["parent"]["status"] == "COMPLETE" and data["parent"]["start_at"] == begin.isoformat()
    assert data["parent"]["started_at"] == begin.isoformat()
    first = ChildOrder.objects.order_by("created_at").first()
    assert first is not None and first.created_at >= begin


def test_the_backtest_starts_where_it_is_told(tmp_path):
    out = tmp_path / "bt.json"
    call_command("backtest", "--strategies", "twap", "--scenarios", "calm", "--seeds", "1", "--side", "buy",
                 "--horizon", "60", "--interval", "10", "--qty", "0.5", "--workers", "1",
                 "--start-at", "2026-01-06T08:00:00", "--json", str(out), stdout=StringIO())
    data = json.loads(out.read_text())
    assert data["suite"]["order"]["start_ts"] == datetime(2026, 1, 6, 8, tzinfo=UTC).timestamp()
    with pytest.raises(CommandError, match="--start-at 'soon' is not a date and time"):
        call_command("backtest", "--start-at", "soon")


def test_a_pause_before_the_start_does_not_move_the_schedule(clock, make_order, alice):
    from execdesk.desk.services.parent_orders import parent_order_pause, parent_order_resume

    begin = clock.now + timedelta(seconds=300)
    parent = make_order(quantity="1.2", horizon=600, interval=60, start_at=begin)
    clock.advance(60)
    parent_order_pause(parent_id=parent.pk, user=alice, reason="news")
    clock.advance(120)
    parent_order_resume(parent_id=parent.pk, user=alice, reason="calm")
    parent.refresh_from_db()
    assert parent.deadline == begin + timedelta(seconds=600) and parent.clock_shift_seconds == 0
    clock.advance(200)  # a pause that runs past the start moves the schedule by the time after it
    parent_order_pause(parent_id=parent.pk, user=alice, reason="news")
    clock.advance(50)
    parent_order_resume(parent_id=parent.pk, user=alice, reason="calm")
    parent.refresh_from_db()
    assert parent.clock_shift_seconds == 50
