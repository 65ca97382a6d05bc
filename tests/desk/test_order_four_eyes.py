"""Four-eyes on a whole parent order, on the order page, in the service and in the CLI: above the desk's
four-eyes notional an order starts only after a supervisor other than its creator approves it (audited)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.errors import FourEyesRequired
from execdesk.desk.services.parent_orders import parent_order_start

pytestmark = pytest.mark.django_db


def test_the_defaults_let_four_eyes_fire_below_the_hard_caps(settings):
    from execdesk.domain.risk import RiskLimits

    four_eyes = settings.EXECDESK["FOUR_EYES_NOTIONAL"]
    assert four_eyes < RiskLimits().max_order_notional and four_eyes < settings.EXECDESK["MAX_ORDER_NOTIONAL"]


@pytest.mark.parametrize("env", [{"EXECDESK_FOUR_EYES_NOTIONAL": "600000"},
                                 {"EXECDESK_MAX_ORDER_NOTIONAL": "100000"},
                                 {"EXECDESK_MAX_DAILY_VOLUME_SHARE": "nan"}])
def test_incoherent_limits_fail_at_start_up(env):
    done = subprocess.run([sys.executable, "-c", "import execdesk.settings"], capture_output=True, text=True,
                          env={**os.environ, "EXECDESK_SECRET_KEY": "tests-only", **env}, timeout=60)
    assert done.returncode != 0 and "ConfigError" in done.stderr
    assert next(iter(env)) in done.stderr.splitlines()[-1]


def test_the_page_offers_the_approval_to_another_supervisor_only(client, alice, bob, make_order):
    parent = make_order(quantity="5", start=False)
    client.force_login(alice)
    page = client.get(f"/orders/{parent.pk}/").content.decode()
    assert "above the desk's four-eyes threshold of" in page and 'id="approve-order-btn"' not in page
    client.force_login(bob)
    assert 'id="approve-order-btn"' in client.get(f"/orders/{parent.pk}/").content.decode()

    r = client.post(f"/orders/{parent.pk}/approve/", {"reason": "checked with risk"})
    assert r.status_code == 302
    assert ParentOrder.objects.get(pk=parent.pk).start_approved_by == bob
    assert "approved by bob" in client.get(f"/orders/{parent.pk}/").content.decode()
    client.force_login(alice)
    assert client.post(f"/orders/{parent.pk}/start/").status_code == 302
    assert ParentOrder.objects.get(pk=parent.pk).status == "ACTIVE"


def test_an_unapproved_start_is_refused_and_audited(alice, make_order):
    parent = make_order(quantity="5", start=False, mode="autopilot")
    with pytest.raises(FourEyesRequired, match="above the desk's four-eyes threshold of 250,000.00 USDT"):
        parent_order_start(parent_id=parent.pk, user=alice)
    assert ParentOrder.objects.get(pk=parent.pk).status == "INITIALIZED"
    assert AuditEvent.objects.filter(action="parent.start_refused", parent_order_id=parent.pk).exists()


def test_the_cli_cannot_start_an_order_above_four_eyes_even_on_autopilot(alice):
    with pytest.raises(CommandError, match="was created but not started: .*four-eyes threshold"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "5", "--horizon", "60",
                     "--approve", "auto", "--user", "alice")
    parent = ParentOrder.objects.get()
    assert parent.status == "INITIALIZED" and not parent.child_orders.exists()
