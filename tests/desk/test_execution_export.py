"""The `execute --json` export of an order that traded nothing: the shape holds, the unfilled quantity is
costed at today's mid, and each proposal says how it ended and who decided it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.desk.selectors.orders import proposal_list_pending
from execdesk.desk.services.headless import execution_export
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_reject

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_order_cancelled_before_any_fill_exports_its_proposals_and_opportunity_cost(alice, bob):
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="sell", quantity="0.25", horizon_seconds=60,
                                 interval_seconds=5, strategy="twap", approval_mode="manual")
    parent_order_start(parent_id=parent.pk, user=alice)  # its first step runs inline on commit
    [proposal] = proposal_list_pending(parent_id=parent.pk)
    proposal_reject(proposal_id=proposal.pk, user=bob, reason="spread too wide for me")
    parent_order_cancel(parent_id=parent.pk, user=alice, reason="changed my mind")

    data = execution_export(parent.pk)

    assert data["parent"] == {**data["parent"], "id": parent.pk, "symbol": "BTCUSDT", "side": "sell",
                              "quantity": "0.25", "status": "CANCELLED", "strategy": "twap",
                              "advisor": "schedule", "executed_qty": "0", "avg_price": None,
                              "created_by": "alice"}
    assert Decimal(data["parent"]["decision_price"]) == parent.decision_price
    assert data["child_orders"] == [] and data["fills"] == []
    [row] = data["proposals"]
    assert row["id"] == proposal.pk and row["outcome"] == "rejected" and row["decided_by"] == "bob"
    assert row["decision_reason"] == "spread too wide for me" and row["fallback"] is False
    assert row["qty"] == format(proposal.quantity.normalize(), "f")
    tca = data["tca"]
    assert tca["filled_qty"] == "0" and tca["fill_rate"] == 0.0 and tca["avg_price"] is None
    assert isinstance(tca["final_mid"], str) and Decimal(tca["final_mid"]) > 0
    # nothing executed: all opportunity and completion (half spread + taker fee + impact to finish it)
    assert tca["is_bps"] == pytest.approx(tca["is_opportunity_bps"] + tca["is_completion_bps"], abs=2e-4)
    assert tca["is_completion_bps"] > 5.5 and tca["completion_fee_bps"] == 5.5
    assert data["parent"]["is_bps"] == tca["is_bps"]  # one IS: the parent's is the TCA's
    assert data["audit"]["actions"]["proposal.rejected"] == 1
    assert data["audit"]["actions"]["parent.created"] == 1
