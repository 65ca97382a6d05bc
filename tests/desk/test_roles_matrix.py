"""The roles matrix: every page, form endpoint and websocket route for anonymous, no-role, trader, supervisor
and auditor — nobody gets beyond their role. (The REST API's matrix: tests/api/test_api_roles.py.)"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from execdesk.asgi import application
from execdesk.desk.models import ApiToken, ParentOrder, Proposal
from tests.desk.test_access import ALL

ROLES = ("anonymous", "nobody", "trader", "supervisor", "auditor")
DESK = {"trader": 200, "supervisor": 200, "auditor": 200}
OVERSIGHT = {"trader": 403, "supervisor": 200, "auditor": 200}

# GET pages: what each role gets (anonymous is always sent to the login page, a user without a role refused)
PAGES = {
    "desk:home": DESK,
    "desk:order": DESK,
    "desk:order_state": DESK,
    "desk:tokens": DESK,
    "desk:queue": DESK,  # an auditor's queue is empty: what it may decide (nothing) is the queue's own test
    "desk:queue_state": DESK,
    "desk:review": OVERSIGHT,
    "desk:review_order": OVERSIGHT,
    "desk:review_export": OVERSIGHT,
}
# POST endpoints that change something: who is refused (403) — everyone else gets past the role check
WRITES = {
    "desk:order_create": {"auditor"},
    "desk:order_action": {"auditor"},
    "desk:order_mode": {"auditor"},
    "desk:order_amend": {"auditor"},
    "desk:order_approve": {"trader", "auditor"},  # four-eyes on a whole order: supervisors only
    "desk:proposal_action": {"auditor"},
    "desk:trading_state": {"trader", "auditor"},
    "desk:token_revoke": set(),  # anyone with a desk role manages their own API tokens
}
NOT_DESK = ("admin:", "login", "logout", "password_change", "api:")


@pytest.fixture
def people(django_user_model, alice, bob, charlie):
    nobody = django_user_model.objects.create_user(username="mallory", password="mallory-pw-123!")
    return {"nobody": nobody, "trader": alice, "supervisor": bob, "auditor": charlie}


@pytest.fixture
def world(alice, make_order, proposal_for):
    parent = make_order()
    proposal = proposal_for(parent)
    token, _ = __import__("execdesk.desk.services.api_tokens", fromlist=["x"]).api_token_create(user=alice, name="ci")
    return {"order_id": parent.pk, "proposal_id": proposal.pk, "token_id": token.pk}


def _client(role: str, people) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


def _url(name: str, world) -> str:
    kwargs = {"desk:order": {"order_id": world["order_id"]}, "desk:order_state": {"order_id": world["order_id"]},
              "desk:review_order": {"order_id": world["order_id"]}, "desk:review_export": {"fmt": "json"},
              "desk:order_action": {"order_id": world["order_id"], "action": "pause"},
              "desk:order_mode": {"order_id": world["order_id"]}, "desk:order_amend": {"order_id": world["order_id"]},
              "desk:order_approve": {"order_id": world["order_id"]},
              "desk:proposal_action": {"proposal_id": world["proposal_id"], "action": "approve"},
              "desk:token_revoke": {"token_id": world["token_id"]}}.get(name, {})
    url = reverse(name, kwargs=kwargs)
    return url + (f"?order={world['order_id']}" if name == "desk:review_export" else "")


def test_every_desk_route_is_in_the_matrix():
    desk_routes = {name for name, _, _ in ALL if name and not name.startswith(NOT_DESK)}
    assert desk_routes == set(PAGES) | set(WRITES), "classify the new route in PAGES or WRITES"


def _state() -> tuple:
    return (list(ParentOrder.objects.order_by("pk").values_list("status", "approval_mode", "quantity")),
            list(Proposal.objects.order_by("pk").values_list("status", flat=True)),
            ApiToken.objects.filter(revoked_at=None).count())


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages(name, people, world):
    for role in ROLES:
        response = _client(role, people).get(_url(name, world))
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role == "nobody":
            assert response.status_code == 403
        else:
            assert response.status_code == PAGES[name][role], (role, name, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(WRITES))
def test_writes(name, people, world, django_capture_on_commit_callbacks):
    # the refused roles go first: what they leave untouched is then checked against the same starting state
    for role in ("anonymous", "nobody", "auditor", "trader", "supervisor"):
        before = _state()
        response = _client(role, people).post(_url(name, world), {"reason": "matrix", "state": "HALTED"},
                                              HTTP_ACCEPT="application/json")
        refused = role in ("anonymous", "nobody") or role in WRITES[name]
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif refused:
            assert response.status_code == 403, (role, name, response.status_code, response.content[:200])
        else:
            assert response.status_code != 403, (role, name, response.content[:200])
        if refused:
            assert _state() == before, f"a refused {role} request to {name} changed something"


@pytest.mark.django_db
def test_token_revoke_is_limited_to_ones_own_tokens_for_traders(client, django_user_model, alice, world):
    from tests.conftest import _user

    erin = _user(django_user_model, "erin", "trader")
    client.force_login(erin)
    response = client.post(_url("desk:token_revoke", world), follow=True)
    assert "does not exist or is not yours to revoke" in response.content.decode()
    assert ApiToken.objects.get(pk=world["token_id"]).revoked_at is None


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("role", ROLES)
async def test_websockets(role, django_user_model, alice, bob, charlie):
    people = {"trader": alice, "supervisor": bob, "auditor": charlie}
    if role == "nobody":
        people["nobody"] = await sync_to_async(django_user_model.objects.create_user)("mallory", password="m-pw-1234567!")
    parent = await sync_to_async(lambda: __import__(
        "execdesk.desk.services.parent_orders", fromlist=["x"]).parent_order_create(
        user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600))()
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if role != "anonymous":
        headers.append((b"cookie", await sync_to_async(_session_cookie)(people[role])))
    for path in ("/ws/desk/", f"/ws/orders/{parent.pk}/"):
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect()
        if role in ("anonymous", "nobody"):
            assert not connected and code == 4403, (role, path)
        else:
            assert connected, (role, path, code)
            await communicator.disconnect()
