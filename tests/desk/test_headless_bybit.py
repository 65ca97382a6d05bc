"""A headless run on Bybit goes through the same services, the real pybit client and the loopback Bybit v5
server: auto-approved slices become Bybit orders under their orderLinkIds and their fills are exported."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import ParentOrder
from execdesk.desk.services.headless import execution_export, parent_order_run_headless
from execdesk.desk.services.parent_orders import parent_order_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_auto_approved_slices_reach_bybit_and_their_fills_are_exported(alice, bybit_desk):
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=30,
                                 interval_seconds=5, strategy="twap", approval_mode="autopilot", venue="bybit",
                                 advisor="schedule")
    outcome = parent_order_run_headless(parent_id=parent.pk, user=alice, tick_s=0.3, stop_after_s=2)
    assert outcome.timed_out and outcome.status == "CANCELLED"
    data = execution_export(parent.pk)
    assert data["parent"]["venue"] == "bybit" and data["child_orders"], "no slice was sent in 2 s"
    for child in data["child_orders"]:
        assert bybit_desk.venue.order(child["order_link_id"]) is not None, child
    assert data["fills"] and all(f["order_link_id"] in {c["order_link_id"] for c in data["child_orders"]}
                                 for f in data["fills"])
    executed = ParentOrder.objects.get(pk=parent.pk).executed_qty
    assert sum(Decimal(f["qty"]) for f in data["fills"]) == executed > 0
    assert data["audit"]["actions"]["child.sent"] == len(data["child_orders"])


def test_the_command_says_when_bybit_is_not_configured(monkeypatch):
    for name in ("EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    bybit_link.link_reset()
    with pytest.raises(CommandError, match="--venue bybit: Bybit is not configured: set EXECDESK_BYBIT_API_KEY"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.05", "--horizon", "300",
                     "--venue", "bybit", "--market", "bybit", "--approve", "auto", stdout=StringIO())
    assert not ParentOrder.objects.exists()
