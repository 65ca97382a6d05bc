from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from execdesk.desk.models import AuditEvent, MarketState
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create
from execdesk.domain.market import MarketSnapshot

pytestmark = pytest.mark.django_db


def test_creation_captures_the_decision_price_from_the_market_and_is_audited(alice, make_order):
    parent = make_order(start=False)
    snap = MarketSnapshot.from_dict(MarketState.objects.get(symbol="BTCUSDT").snapshot)
    assert parent.status == "INITIALIZED"
    assert abs(float(parent.decision_price) - snap.mid) <= 0.1
    event = AuditEvent.objects.get(action="parent.created", parent_order_id=parent.pk)
    assert event.actor_label == "alice" and event.role == "trader"
    assert Decimal(event.payload["decision_price"]) == parent.decision_price
    assert event.market_ref["mid"] == pytest.approx(snap.mid, abs=1000)


@pytest.mark.parametrize("field,value,message", [
    ("quantity", "abc", "quantity 'abc' is not a number"),
    ("quantity", "-1", "quantity must be positive"),
    ("quantity", "0.0005", "not a multiple of BTCUSDT's step 0.001"),
    ("quantity", "NaN", "no exponent, NaN or Infinity"),
    ("quantity", "1e1", "is not a plain decimal"),
    ("symbol", "DOGEUSDT", "unknown symbol 'DOGEUSDT'"),
    ("side", "hold", "side must be 'buy' or 'sell'"),
    ("horizon_seconds", 5, "horizon must be between"),
    ("interval_seconds", 1, "decision interval must be between 5 s"),
    ("approval_mode", "yolo", "unknown approval mode"),
])
def test_bad_input_is_refused_naming_the_problem_and_records_nothing(alice, field, value, message):
    args = dict(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600, interval_seconds=10)
    args[field] = value
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(".", r"\.")):
        parent_order_create(**args)
    assert not AuditEvent.objects.filter(action="parent.created").exists()


def test_the_auditor_cannot_create_orders(charlie):
    with pytest.raises(PermissionDenied, match="trader or supervisor"):
        parent_order_create(user=charlie, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600)
