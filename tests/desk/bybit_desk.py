"""The desk pointed at the loopback Bybit server: credentials and endpoints through the same
EXECDESK_BYBIT_* variables an operator sets, the real pybit client underneath."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from execdesk.desk import bybit_link
from tests.loopback.bybit_server import BybitLoopbackServer


@pytest.fixture
def bybit_desk(bybit_server: BybitLoopbackServer, monkeypatch, settings) -> Iterator[BybitLoopbackServer]:
    monkeypatch.setenv("EXECDESK_BYBIT_API_KEY", bybit_server.api_key)
    monkeypatch.setenv("EXECDESK_BYBIT_API_SECRET", bybit_server.api_secret)
    monkeypatch.setenv("EXECDESK_BYBIT_REST_URL", bybit_server.url)
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_FEED_IN_PROCESS": False, "BYBIT_POLL_SECONDS": 0.0,
                         "BYBIT_TIMEOUT_SECONDS": 2.0}
    bybit_link.link_reset()
    yield bybit_server
    bybit_link.link_reset()
