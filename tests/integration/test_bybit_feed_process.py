"""Distributed mode's Bybit feed process: `manage.py bybit_feed --symbol BTCUSDT --private` runs on its
own, publishes the symbol's snapshots through Redis where this process (a stand-in for every worker)
reads them, and records a resting child order's fill from the private stream into the shared database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import ChildOrder, Fill
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_override
from tests.integration.conftest import REPO, worker_database_url
from tests.integration.feed_process import loopback_bybit_env, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]



def test_the_feed_process_publishes_snapshots_and_records_streamed_fills(alice, bybit_server, bybit_ws_server,
                                                                        monkeypatch, settings, tmp_path):
    bybit_env = loopback_bybit_env(monkeypatch, bybit_server, bybit_ws_server)
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_POLL_SECONDS": 3600.0}  # fills must come by the stream
    bybit_link.link_reset()
    bybit_link.snapshots_forget(["BTCUSDT"])  # no earlier test's snapshot may pass for this feed's
    log = tmp_path / "bybit_feed.log"
    env = {**os.environ, **bybit_env, "EXECDESK_DATABASE_URL": worker_database_url(),
           "EXECDESK_SECRET_KEY": os.environ.get("EXECDESK_SECRET_KEY") or settings.SECRET_KEY,
           "EXECDESK_AUDIT_KEY": settings.AUDIT_KEY.decode(),
           "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "manage.py", "bybit_feed", "--symbol", "BTCUSDT", "--private",
                                 "--status-every", "1"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        snapshot = wait_for(lambda: bybit_link.link().store.get("BTCUSDT"), "a snapshot in Redis", proc, log)
        assert snapshot.source == "bybit" and not snapshot.stale
        assert snapshot.mid == pytest.approx(float(bybit_server.venue.mid("linear", "BTCUSDT")))
        wait_for(lambda: "private connected" in log.read_text(), "the private stream", proc, log)

        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5",
                                     horizon_seconds=600, interval_seconds=10, venue="bybit")
        parent_order_start(parent_id=parent.pk, user=alice)
        proposal = wait_for(lambda: parent.proposals.filter(status="pending").first(), "a proposal", proc, log)
        bid = bybit_server.venue.books[("linear", "BTCUSDT")].best_bid()
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="limit",
                          limit_price=str(bid), tif="GTC", reason="rest at the bid")
        child = ChildOrder.objects.get(parent=parent)
        assert child.status == "submitted"

        bybit_server.trade_through("BTCUSDT", str(bid), "5")

        wait_for(lambda: ChildOrder.objects.filter(pk=child.pk, status="filled").exists(), "the streamed fill",
              proc, log)
        [fill] = Fill.objects.filter(child=child)
        assert fill.qty == Decimal("0.02") and fill.fee_currency == "USDT"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        bybit_link.link_reset()
    assert proc.returncode == 0, log.read_text()
