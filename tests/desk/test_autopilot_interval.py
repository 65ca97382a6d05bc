"""Autopilot may decide every second (no human to keep up with); an order a human approves keeps the
five-second minimum."""

from __future__ import annotations

import pytest

from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create


def _create(alice, mode: str):
    return parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.1", horizon_seconds=600,
                               interval_seconds=1, approval_mode=mode)


def test_an_autopilot_order_may_have_a_one_second_decision_interval(alice):
    assert _create(alice, "autopilot").interval_seconds == 1


@pytest.mark.parametrize("mode", ["manual", "auto_within_limits"])
def test_an_order_a_human_approves_keeps_the_five_second_minimum(alice, mode):
    with pytest.raises(InvalidInput, match="decision interval"):
        _create(alice, mode)


def test_a_one_second_autopilot_order_cannot_be_switched_to_a_human_approval_mode(alice):
    from execdesk.desk.services.parent_orders import parent_order_mode_set

    parent = _create(alice, "autopilot")
    with pytest.raises(InvalidInput, match="only autopilot"):
        parent_order_mode_set(parent_id=parent.pk, user=alice, approval_mode="manual", reason="a human takes over")
