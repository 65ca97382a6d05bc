"""Distributed mode's Bybit prints: the `manage.py bybit_feed --symbol BTCUSDT` process pushes every public
print it receives to a Redis list, and a worker's tick (this process stands in for it) keeps those in a
working order's window as MarketPrint rows in the shared database, once each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import MarketPrint
from execdesk.desk.services.execution import desk_tick
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.market.print_buffer import RedisPrintBuffer
from tests.integration.conftest import REPO, worker_database_url
from tests.integration.feed_process import loopback_bybit_env, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]



def test_the_feed_process_buffers_prints_in_redis_and_the_tick_keeps_them(alice, bybit_server, bybit_ws_server,
                                                                          monkeypatch, settings, tmp_path):
    bybit_env = loopback_bybit_env(monkeypatch, bybit_server, bybit_ws_server)
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_FEED_IN_PROCESS": False}
    bybit_link.link_reset()
    bybit_link.snapshots_forget(["BTCUSDT"])  # no earlier test's snapshot or prints may pass for this feed's
    prints = bybit_link.link().prints
    assert isinstance(prints, RedisPrintBuffer)
    log = tmp_path / "bybit_feed.log"
    env = {**os.environ, **bybit_env, "EXECDESK_DATABASE_URL": worker_database_url(),
           "EXECDESK_SECRET_KEY": os.environ.get("EXECDESK_SECRET_KEY") or settings.SECRET_KEY,
           "EXECDESK_AUDIT_KEY": settings.AUDIT_KEY.decode(), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "manage.py", "bybit_feed", "--symbol", "BTCUSDT",
                                 "--status-every", "1"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: bybit_link.link().store.get("BTCUSDT"), "a snapshot in Redis", proc, log)
        recent = len(bybit_server.venue.trades[("linear", "BTCUSDT")])
        wait_for(lambda: prints.pending("BTCUSDT") >= recent, "the recent prints in Redis", proc, log)
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5",
                                     horizon_seconds=600, interval_seconds=10, venue="bybit")
        parent_order_start(parent_id=parent.pk, user=alice)  # its market read takes the prints before it
        assert prints.pending("BTCUSDT") == 0 and not MarketPrint.objects.exists()

        for i in range(25):
            bybit_server.trade_through("BTCUSDT", str(65_000 + i), "0.01")
        published = [str(t["execId"]) for t in reversed(list(bybit_server.venue.trades[("linear", "BTCUSDT")])[:25])]
        wait_for(lambda: prints.pending("BTCUSDT") == 25, "25 prints in Redis", proc, log)
        wait_for(lambda: "25 prints waiting for the desk's tick" in log.read_text(), "the status line", proc, log)

        desk_tick()

        assert list(MarketPrint.objects.order_by("ts", "id").values_list("trade_id", flat=True)) == published
        assert prints.pending("BTCUSDT") == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        bybit_link.snapshots_forget(["BTCUSDT"])
        bybit_link.link_reset()
