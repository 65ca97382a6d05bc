"""Every page and endpoint needs a login; the auditor can look but never act."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from execdesk.desk.models import Proposal

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "admin:login", "admin:logout"}  # logout is POST-only and harmless
SAMPLE = {"order_id": "1", "proposal_id": "1", "app_label": "desk", "model_name": "parentorder", "object_id": "1",
          "content_type_id": "1", "url": "x", "user_id": "1", "id": "1"}
CONVERTER_SAMPLE = {"OrderActionConverter": "start", "ProposalActionConverter": "approve"}


def _walk(resolver: URLResolver, prefix: str = "", ns: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern), f"{ns}{entry.namespace}:" if entry.namespace else ns)
        elif isinstance(entry, URLPattern):
            yield ns + (entry.name or ""), prefix + str(entry.pattern), entry


def _url(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {}
    for key in set(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", str(pattern.pattern))) or []:
        key = key[0] or key[1]
        conv = converters.get(key)
        kwargs[key] = CONVERTER_SAMPLE.get(type(conv).__name__, SAMPLE.get(key, "1"))
    return reverse(name, kwargs=kwargs)


ALL = [(name, route, p) for name, route, p in _walk(get_resolver()) if name and not name.endswith(":")]
GUARDED = [entry for entry in ALL if entry[0] not in PUBLIC]


def test_the_walk_finds_the_desk_and_admin_routes():
    names = {name for name, _, _ in ALL}
    assert {"desk:home", "desk:order", "desk:proposal_action", "desk:order_action", "admin:index"} <= names


def test_only_the_login_pages_are_public(client):
    assert {name for name, _, _ in ALL} & PUBLIC == PUBLIC
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.parametrize("name,route,pattern", GUARDED, ids=[n for n, _, _ in GUARDED])
def test_anonymous_requests_are_sent_to_login_or_refused(client, name, route, pattern):
    url = _url(name, pattern)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 401, 403, 404, 405), (method, url, response.status_code)  # 401: the API
        if response.status_code == 302:
            assert "login" in response["Location"], (method, url, response["Location"])


def test_the_websocket_routes_require_login_too():
    from execdesk.desk.realtime.consumers import (
        DeskConsumer,  # connect() closes with 4403 for anonymous users
    )

    assert "is_authenticated" in DeskConsumer.connect.__code__.co_names


def test_the_auditor_cannot_approve_reject_override_or_control(client, alice, charlie, make_order, proposal_for):
    parent = make_order()
    proposal = proposal_for(parent)
    client.force_login(charlie)
    assert client.get(reverse("desk:order", args=[parent.pk])).status_code == 200
    for action, data in (("approve", {}), ("reject", {"reason": "no"}),
                         ("override", {"quantity": "0.01", "order_type": "market", "reason": "x"})):
        response = client.post(reverse("desk:proposal_action", args=[proposal.pk, action]), data,
                               HTTP_ACCEPT="application/json")
        assert response.status_code == 403, (action, response.content)
        assert "trader or supervisor" in response.json()["error"]
    for action in ("pause", "cancel"):
        response = client.post(reverse("desk:order_action", args=[parent.pk, action]), HTTP_ACCEPT="application/json")
        assert response.status_code == 403
    response = client.post(reverse("desk:order_create"), {"symbol": "BTCUSDT", "side": "buy", "quantity": "0.5",
                                                          "horizon_seconds": 600, "interval_seconds": 10,
                                                          "strategy": "twap", "approval_mode": "manual"})
    assert response.status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"


def test_the_auditor_sees_the_admin_read_only(client, charlie, make_order):
    make_order(start=False)
    client.force_login(charlie)
    assert client.get(reverse("admin:desk_auditevent_changelist")).status_code == 200
    event_id = __import__("execdesk.desk.models", fromlist=["AuditEvent"]).AuditEvent.objects.first().pk
    page = client.get(reverse("admin:desk_auditevent_change", args=[event_id]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:desk_auditevent_delete", args=[event_id]), {"post": "yes"}).status_code == 403
