"""The bad-input matrix through the API: every numeric field of every write × {negative, zero, huge, 1e30, NaN,
"abc", 40 digits, the column's edge} is a 4xx with a `detail`, writes nothing and leaves every read working."""

from __future__ import annotations

import json

import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal
from execdesk.domain.instrument import BTCUSDT
from tests.api.conftest import ORDER
from tests.badinput import ZERO_IS_VALID, case_id, cases

pytestmark = pytest.mark.django_db

# how each field travels in JSON: decimals as strings (the API's DecimalStr), the others as JSON numbers
_JSON_NUMBER_FIELDS = {"horizon_seconds", "interval_seconds", "randomise"}


def _body(base: dict, field: str, value: str) -> str:
    """The JSON text with `value` in `field`; a number field gets the bare token (NaN is then not JSON)."""
    if field not in _JSON_NUMBER_FIELDS or value == "abc":
        return json.dumps({**base, field: value})
    return json.dumps({**base, field: "@"}).replace('"@"', value)


def _rows() -> tuple[int, int, int, list[str]]:
    return (ParentOrder.objects.count(), Proposal.objects.count(), ChildOrder.objects.count(),
            [a for a in AuditEvent.objects.values_list("action", flat=True) if not a.endswith("_refused")])


def _reads_work(api, order_id: int | None = None) -> None:
    assert api.get("/api/orders").status_code == 200
    if order_id is not None:
        assert api.get(f"/api/orders/{order_id}").status_code == 200


@pytest.mark.parametrize("case", cases(["quantity", "horizon_seconds", "interval_seconds", "auto_cap_notional",
                                        "randomise"]), ids=case_id)
def test_order_create(as_alice, case):
    field, kind, value = case
    before = _rows()
    r = as_alice.post("/api/orders", raw=_body(ORDER, field, value))
    if kind == "zero" and field in ZERO_IS_VALID:
        assert r.status_code == 201, r.json()
    else:
        assert r.status_code in (400, 409, 422), (r.status_code, r.content)
        assert r.json()["detail"]
        assert _rows() == before
    _reads_work(as_alice)


@pytest.mark.parametrize("case", cases(["auto_cap_notional"]), ids=case_id)
def test_order_mode(as_alice, make_order, case):
    field, _, value = case
    parent = make_order()
    before = _rows()
    r = as_alice.post(f"/api/orders/{parent.pk}/mode", raw=_body(
        {"approval_mode": "auto_within_limits", "reason": "matrix"}, field, value))
    assert r.status_code in (400, 409, 422) and r.json()["detail"]
    assert _rows() == before
    assert ParentOrder.objects.get(pk=parent.pk).auto_cap_notional == parent.auto_cap_notional
    _reads_work(as_alice, parent.pk)


@pytest.mark.parametrize("case", cases(["quantity"]), ids=case_id)
def test_order_amend(as_alice, make_order, case):
    field, _, value = case
    parent = make_order()
    before = _rows()
    r = as_alice.post(f"/api/orders/{parent.pk}/amend", raw=_body({"reason": "matrix"}, field, value))
    assert r.status_code in (400, 409, 422) and r.json()["detail"]
    assert _rows() == before and ParentOrder.objects.get(pk=parent.pk).quantity == parent.quantity
    _reads_work(as_alice, parent.pk)


@pytest.mark.parametrize("case", cases(["quantity", "limit_price"]), ids=case_id)
def test_proposal_override(as_alice, make_order, proposal_for, case):
    field, _, value = case
    proposal = proposal_for(make_order())
    mid = BTCUSDT.price(proposal.market["mid"])  # on the tick: only the field under test is wrong
    terms = {"quantity": "0.01", "order_type": "limit", "limit_price": str(mid), "reason": "m"}
    before = _rows()
    r = as_alice.post(f"/api/proposals/{proposal.pk}/override", raw=_body(terms, field, value))
    assert r.status_code in (400, 409, 422) and r.json()["detail"]
    assert _rows() == before and Proposal.objects.get(pk=proposal.pk).status == "pending"
    _reads_work(as_alice, proposal.parent_id)
    assert as_alice.get(f"/api/proposals/{proposal.pk}").status_code == 200
