"""The desk pointed at the loopback Bybit server: credentials and endpoints through the same
EXECDESK_BYBIT_* variables an operator sets, the real pybit client underneath."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from execdesk.desk.bybit import link as bybit_link
from tests.loopback.bybit_server import BybitLoopbackServer

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


@pytest.fixture
def bybit_desk(bybit_server: BybitLoopbackServer, monkeypatch, settings) -> Iterator[BybitLoopbackServer]:
    monkeypatch.setenv("EXECDESK_BYBIT_API_KEY", bybit_server.api_key)
    monkeypatch.setenv("EXECDESK_BYBIT_API_SECRET", bybit_server.api_secret)
    monkeypatch.setenv("EXECDESK_BYBIT_REST_URL", bybit_server.url)
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_FEED_IN_PROCESS": False, "BYBIT_POLL_SECONDS": 0.0,
                         "BYBIT_TIMEOUT_SECONDS": 2.0}
    bybit_link.link_reset()
    bybit_link.snapshots_forget(SYMBOLS)  # distributed mode's Redis store outlives a test
    yield bybit_server
    bybit_link.snapshots_forget(SYMBOLS)
    bybit_link.link_reset()


@pytest.fixture
def bybit_live_desk(bybit_desk, bybit_ws_server, monkeypatch, settings):
    """The desk as embedded mode runs it on Bybit: the public feed and the private fill stream in this
    process, over the loopback WebSocket server; REST polling off, so what arrives came by the streams."""
    monkeypatch.setenv("EXECDESK_BYBIT_WS_URL", bybit_ws_server.url)
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_FEED_IN_PROCESS": True, "BYBIT_POLL_SECONDS": 3600.0,
                         "BYBIT_STALE_SECONDS": 1.0}
    bybit_link.link_reset()
    yield bybit_desk, bybit_ws_server
    bybit_link.snapshots_forget(SYMBOLS)
    bybit_link.link_reset()
