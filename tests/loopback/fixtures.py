"""Fixtures for tests that talk to the loopback Bybit server through the real pybit client.
Import them from tests/conftest.py: `from tests.loopback.fixtures import bybit_server  # noqa: F401`.
`bybit_ws_server` is the WebSocket side, sharing `bybit_server`'s venue and API keys; `loopback_config`
aims a BybitConfig at both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pybit.unified_trading import HTTP

from execdesk.bybit.config import BybitConfig
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.bybit_ws import BybitWsLoopbackServer


def pybit_http(server: BybitLoopbackServer, *, api_secret: str | None = None, **options: object) -> HTTP:
    """A real pybit HTTP client aimed at the loopback server. Retries are off (`retry_codes={-1}`,
    one attempt) and the timeout short unless `options` say otherwise, so a fault surfaces at once."""
    settings: dict[str, object] = {"timeout": 2, "retry_codes": {-1}, "max_retries": 1, "retry_delay": 0}
    settings.update(options)
    client = HTTP(
        testnet=True, api_key=server.api_key, api_secret=api_secret or server.api_secret, **settings
    )
    client.endpoint = server.url
    return client


@pytest.fixture
def bybit_server() -> Iterator[BybitLoopbackServer]:
    """A fresh loopback Bybit v5 server (own state, free port) for one test."""
    with BybitLoopbackServer() as server:
        yield server


@pytest.fixture
def bybit_ws_server(bybit_server: BybitLoopbackServer) -> Iterator[BybitWsLoopbackServer]:
    """A loopback Bybit v5 WebSocket server pushing `bybit_server`'s venue, with the same API keys."""
    with BybitWsLoopbackServer(venue=bybit_server.venue, api_keys=bybit_server.api_keys) as server:
        yield server


def loopback_config(rest: BybitLoopbackServer, ws: BybitWsLoopbackServer, *,
                    api_secret: str | None = None) -> BybitConfig:
    """A BybitConfig aimed at the loopback servers through EXECDESK_BYBIT_REST_URL / _WS_URL."""
    return BybitConfig.from_env({
        "EXECDESK_BYBIT_REST_URL": rest.url,
        "EXECDESK_BYBIT_WS_URL": ws.url,
        "EXECDESK_BYBIT_API_KEY": rest.api_key,
        "EXECDESK_BYBIT_API_SECRET": api_secret or rest.api_secret,
    })
