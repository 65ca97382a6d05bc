"""API test fixtures: a token for each named actor and a small JSON client that sends it.

make_order / proposal_for are the desk tests' own fixtures, imported so orders and proposals are seeded the
same way (pytest_plugins may only be declared in the root conftest)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from execdesk.desk.services.api_tokens import api_token_create
from tests.desk.conftest import make_order, proposal_for  # noqa: F401  (re-exported fixtures)


class Api:
    """JSON over django's test client, as a token (or anonymous) caller."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | None = None):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(path, data, content_type="application/json", headers=self.headers)


def token_for(user, name: str = "tests") -> str:
    return api_token_create(user=user, name=name)[1]


@pytest.fixture
def alice_token(alice) -> str:
    return token_for(alice)


@pytest.fixture
def bob_token(bob) -> str:
    return token_for(bob)


@pytest.fixture
def charlie_token(charlie) -> str:
    return token_for(charlie)


@pytest.fixture
def as_alice(alice_token) -> Api:
    """alice the trader, with her API token."""
    return Api(alice_token)


@pytest.fixture
def as_bob(bob_token) -> Api:
    """bob the supervisor, with his API token."""
    return Api(bob_token)


@pytest.fixture
def as_charlie(charlie_token) -> Api:
    """charlie the auditor, with his API token."""
    return Api(charlie_token)


@pytest.fixture
def anonymous() -> Api:
    return Api()


ORDER = {"symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": 600, "interval_seconds": 10}
