"""`manage.py execute` run for real, offline (paper venue, simulated market), in real time: one ~30 s run
shared by the module, whose JSON, database rows and audit trail the tests check."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from execdesk.desk.models import AuditEvent, ChildOrder, Fill, ParentOrder

# The tests read what the module's run recorded; the mark makes pytest-django create the test database
# (and flush it after each test: the run's records are read into the fixture before the first one).
pytestmark = pytest.mark.django_db(transaction=True)

SHAPE = {
    "parent": {"id", "symbol", "side", "quantity", "decision_price", "status", "strategy", "advisor"},
    "tca": {"is_bps", "arrival_slippage_bps", "vwap_slippage_bps", "participation", "fill_rate", "fees_bps"},
    "proposals": {"id", "advisor", "action", "qty", "price", "fallback", "fallback_reason", "outcome"},
    "child_orders": {"order_link_id", "side", "order_type", "tif", "qty", "price", "status", "filled_qty",
                     "avg_price"},
    "fills": {"exec_id", "order_link_id", "qty", "price", "fee", "liquidity"},
}
PUBLIC_URL = "https://desk.example.test:8443"  # EXECDESK_PUBLIC_URL: where the printed link points
DECIMALS = {
    "parent": ("quantity", "decision_price"),
    "proposals": ("qty", "price"),
    "child_orders": ("qty", "price", "filled_qty", "avg_price"),
    "fills": ("qty", "price", "fee"),
}


@pytest.fixture(scope="module")
def run(django_db_setup, django_db_blocker, tmp_path_factory):
    """The shortest run validation allows (30 s horizon, 5 s interval), auto-approved, read back at once."""
    out = tmp_path_factory.mktemp("execute") / "out.json"
    stdout = StringIO()
    with django_db_blocker.unblock(), override_settings(PUBLIC_URL=PUBLIC_URL):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.5", "--horizon", "30",
                     "--interval", "5", "--strategy", "twap", "--venue", "paper", "--market", "sim",
                     "--advisor", "rules", "--approve", "auto", "--json", str(out), stdout=stdout)
        data = json.loads(out.read_text())
        pk = data["parent"]["id"]
        parent = ParentOrder.objects.select_related("created_by").get(pk=pk)
        events = list(AuditEvent.objects.order_by("id"))
        result = {
            "data": data, "stdout": stdout.getvalue(), "parent": parent,
            "user_role": [g.name for g in parent.created_by.groups.all()],
            "fills": list(Fill.objects.filter(parent_id=pk).values_list("exec_id", "qty")),
            "children": list(ChildOrder.objects.filter(parent_id=pk).values_list("order_link_id", flat=True)),
            "events": [(e.action, e.actor_label, e.parent_order_id) for e in events],
            "chain": [(e.prev_hash, e.hash, e.compute_hash()) for e in events],
        }
        yield result
        call_command("flush", interactive=False, verbosity=0)


def test_the_order_completes_and_the_command_prints_progress_and_tca(run):
    parent = run["parent"]
    assert parent.status == "COMPLETE"
    assert parent.executed_qty == Decimal("0.5")
    assert parent.venue == "paper" and parent.advisor == "rules" and parent.approval_mode == "autopilot"
    out = run["stdout"]
    assert f"order #{parent.pk}" in out and "COMPLETE" in out
    assert "implementation shortfall" in out and "participation" in out
    assert f"desk: {PUBLIC_URL}/orders/{parent.pk}/" in out  # the configured address, not a fixed one


def test_the_default_user_is_the_headless_trader(run):
    assert run["parent"].created_by.get_username() == "headless"
    assert run["user_role"] == ["trader"]
    assert ("user.created", "system:execute-command", None) in run["events"]


def test_the_json_has_the_designed_shape_with_decimal_strings(run):
    data = run["data"]
    for key, fields in SHAPE.items():
        rows = data[key] if isinstance(data[key], list) else [data[key]]
        assert rows, f"{key} is empty"
        for row in rows:
            assert fields <= set(row), f"{key} lacks {fields - set(row)}"
    for key, fields in DECIMALS.items():
        rows = data[key] if isinstance(data[key], list) else [data[key]]
        for row in rows:
            for field in fields:
                value = row[field]
                if value is None and field in ("price", "avg_price"):  # market orders have no price
                    continue
                assert isinstance(value, str), f"{key}.{field} = {value!r} is not a decimal string"
                assert "e" not in value.lower() and Decimal(value).is_finite(), f"{key}.{field} = {value!r}"
    assert isinstance(data["tca"]["is_bps"], float)
    assert data["tca"]["fill_rate"] == 1.0
    assert all(isinstance(p["fallback"], bool) for p in data["proposals"])
    assert data["parent"]["status"] == "COMPLETE" and data["parent"]["quantity"] == "0.5"


def test_every_fill_appears_once_and_fills_sum_to_the_executed_quantity(run):
    data, parent = run["data"], run["parent"]
    exec_ids = [f["exec_id"] for f in data["fills"]]
    assert len(exec_ids) == len(set(exec_ids))
    assert sorted(exec_ids) == sorted(e for e, _ in run["fills"])
    assert sum(Decimal(f["qty"]) for f in data["fills"]) == parent.executed_qty == Decimal(data["tca"]["filled_qty"])
    links = {c["order_link_id"] for c in data["child_orders"]}
    assert links == set(run["children"])
    assert {f["order_link_id"] for f in data["fills"]} <= links
    for child in data["child_orders"]:
        filled = sum(Decimal(f["qty"]) for f in data["fills"] if f["order_link_id"] == child["order_link_id"])
        assert filled == Decimal(child["filled_qty"]), child


def test_every_step_is_in_the_audit_trail_and_the_chain_holds(run):
    pk = run["parent"].pk
    actions = [a for a, _, parent_id in run["events"] if parent_id == pk]
    for action in ("parent.created", "parent.strategy_frozen", "proposal.created", "proposal.approved",
                   "child.created", "child.sent", "fill.recorded"):
        assert action in actions, f"no {action} in the audit trail of order {pk}"
    assert actions.count("fill.recorded") == len(run["data"]["fills"])
    assert actions.count("child.sent") == len(run["data"]["child_orders"])
    approvers = {actor for a, actor, parent_id in run["events"] if a == "proposal.approved" and parent_id == pk}
    assert approvers == {"system:auto-approval"}
    decided = {p["decided_by"] for p in run["data"]["proposals"] if p["outcome"] == "approved"}
    assert decided == {"system:auto-approval"}
    for _, stored, computed in run["chain"]:
        assert stored == computed, "an audit event's hash does not match its content"
    for before, after in zip(run["chain"], run["chain"][1:], strict=False):
        assert after[0] == before[1], "audit chain broken"
