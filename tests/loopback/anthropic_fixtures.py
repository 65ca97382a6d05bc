"""Fixtures for tests that talk to the loopback Anthropic Messages server through the real SDK.
Import from tests/conftest.py: `from tests.loopback.anthropic_fixtures import anthropic_server  # noqa: F401`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from tests.loopback.anthropic_server import AnthropicLoopbackServer

# a current, non-deprecated id from anthropic 2.13's types/model.py (deprecated ids make the SDK warn)
TEST_MODEL = "claude-sonnet-5-5"


def anthropic_client(server: AnthropicLoopbackServer, **options: Any) -> anthropic.Anthropic:
    """A real `anthropic.Anthropic` aimed at `server`. Retries are off and the timeout short unless
    `options` say otherwise, so a fault surfaces at once; strict validation makes a response that
    breaks the SDK's schema fail loudly instead of being half-parsed."""
    settings: dict[str, Any] = {"api_key": server.api_key, "base_url": server.url, "max_retries": 0,
                                "timeout": 2, "_strict_response_validation": True}
    settings.update(options)
    return anthropic.Anthropic(**settings)


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicLoopbackServer]:
    """A fresh loopback Anthropic server (own script, log and key, free port) for one test."""
    with AnthropicLoopbackServer() as server:
        yield server
