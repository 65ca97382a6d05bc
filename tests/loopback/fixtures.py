"""Fixtures for tests that talk to the loopback Bybit server through the real pybit client.
Import them from tests/conftest.py: `from tests.loopback.fixtures import bybit_server  # noqa: F401`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pybit.unified_trading import HTTP

from tests.loopback.bybit_server import BybitLoopbackServer


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
