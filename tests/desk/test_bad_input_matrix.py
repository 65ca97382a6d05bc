"""The bad-input matrix through the pages' forms and the CLI: every numeric field of every write × {negative,
zero, huge, 1e30, NaN, "abc", 40 digits, the column's edge} is a 4xx (a CommandError for the CLI), writes
nothing and leaves the overview and the order pages working."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal
from execdesk.domain.instrument import BTCUSDT
from tests.badinput import ZERO_IS_VALID, case_id, cases

pytestmark = pytest.mark.django_db

FORM = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": "600",
        "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual", "randomise_pct": "0",
        "auto_cap_notional": "0", "notes": ""}
JSON = {"HTTP_ACCEPT": "application/json"}  # the order page's fetch() calls


def _rows() -> tuple[int, int, int, list[str]]:
    return (ParentOrder.objects.count(), Proposal.objects.count(), ChildOrder.objects.count(),
            [a for a in AuditEvent.objects.values_list("action", flat=True) if not a.endswith("_refused")])


def _pages_work(client, order_id: int | None = None) -> None:
    assert client.get("/").status_code == 200
    if order_id is not None:
        assert client.get(f"/orders/{order_id}/").status_code == 200


@pytest.mark.parametrize("case", cases(["quantity", "horizon_seconds", "interval_seconds", "randomise_pct",
                                        "auto_cap_notional"]), ids=case_id)
def test_order_form(client, alice, case):
    field, kind, value = case
    client.force_login(alice)
    before = _rows()
    r = client.post("/orders/new/", {**FORM, field: value})
    if kind == "zero" and field in ZERO_IS_VALID:
        assert r.status_code == 302
    else:
        assert r.status_code == 400 and "Order not created" in r.content.decode()
        assert _rows() == before
    _pages_work(client)


@pytest.mark.parametrize("case", cases(["auto_cap_notional"]), ids=case_id)
def test_mode_form(client, alice, make_order, case):
    field, _, value = case
    parent = make_order()
    client.force_login(alice)
    before = _rows()
    r = client.post(f"/orders/{parent.pk}/mode/", {"approval_mode": "auto_within_limits", "reason": "m", field: value},
                    **JSON)
    assert 400 <= r.status_code < 500 and r.json()["error"]
    assert _rows() == before
    assert ParentOrder.objects.get(pk=parent.pk).auto_cap_notional == parent.auto_cap_notional
    _pages_work(client, parent.pk)


@pytest.mark.parametrize("case", cases(["quantity"]), ids=case_id)
def test_amend_form(client, alice, make_order, case):
    field, _, value = case
    parent = make_order()
    client.force_login(alice)
    before = _rows()
    r = client.post(f"/orders/{parent.pk}/amend/", {"reason": "m", field: value}, **JSON)
    assert 400 <= r.status_code < 500 and r.json()["error"]
    assert _rows() == before and ParentOrder.objects.get(pk=parent.pk).quantity == parent.quantity
    _pages_work(client, parent.pk)


@pytest.mark.parametrize("case", cases(["quantity", "limit_price"]), ids=case_id)
def test_override_form(client, alice, make_order, proposal_for, case):
    field, _, value = case
    proposal = proposal_for(make_order())
    client.force_login(alice)
    terms = {"quantity": "0.01", "order_type": "limit", "limit_price": str(BTCUSDT.price(proposal.market["mid"])),
             "reason": "m"}
    before = _rows()
    r = client.post(f"/proposals/{proposal.pk}/override/", {**terms, field: value}, **JSON)
    assert 400 <= r.status_code < 500 and r.json()["error"]
    assert _rows() == before and Proposal.objects.get(pk=proposal.pk).status == "pending"
    _pages_work(client, proposal.parent_id)


CLI = {"--symbol": "BTCUSDT", "--side": "buy", "--qty": "0.05", "--horizon": "60", "--interval": "10",
       "--approve": "auto", "--user": "alice"}


@pytest.mark.parametrize("case", [c for c in cases(["qty", "horizon", "interval", "grace"])
                                  if not (c[1] == "zero" and c[0] in ZERO_IS_VALID)], ids=case_id)
def test_execute_command(client, alice, case):
    field, _, value = case
    options = {**CLI, f"--{field}": value}
    with pytest.raises(CommandError) as refused:
        call_command("execute", *[part for item in options.items() for part in item], stdout=StringIO())
    assert str(refused.value)
    assert _rows() == (0, 0, 0, [])
    client.force_login(alice)
    _pages_work(client)
