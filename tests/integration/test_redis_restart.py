"""Redis crashes mid-execution and comes back empty (every queued and unacked message lost): the database
is the truth for work to do, so every order still reaches a terminal state within its deadline + 60 s, no
child is sent after its send-by time, none twice, every fill is recorded once, the audit chain is intact —
and POST /api/orders/{id}/start during the outage answers 200 (the start is committed; its first step is
left to the tick)."""

from __future__ import annotations

import time

import pytest

from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.domain.states import ParentStatus
from tests.api.conftest import Api, token_for
from tests.integration.faults import (
    Desk,
    OwnRedis,
    assert_invariants,
    autopilot_orders,
    desk_env,
    point_this_process_at,
    wait_terminal,
)

OUTAGE_S = 6


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_mid_execution_loses_no_order_and_a_start_during_it_answers_200(alice, tmp_path, settings):
    redis = OwnRedis(tmp_path)
    redis.start()
    undo = point_this_process_at(redis)
    desk = Desk(tmp_path, desk_env(settings, redis))
    try:
        desk.worker("w1")
        desk.worker("w2")
        desk.beat()
        orders = autopilot_orders(alice, 6)
        deadline = time.monotonic() + 60
        while ChildOrder.objects.filter(parent__in=orders).count() < 4:  # mid-execution
            assert time.monotonic() < deadline, desk.tail()
            time.sleep(0.2)

        redis.stop()  # a crash: queues, unacked messages and the channel layer are gone
        late = autopilot_orders(alice, 1, start=False)[0]
        response = Api(token_for(alice)).post(f"/api/orders/{late.pk}/start")
        assert response.status_code == 200, response.content
        assert ParentOrder.objects.get(pk=late.pk).state == ParentStatus.ACTIVE
        time.sleep(OUTAGE_S)  # the outage lasts; then Redis comes back empty on the same port
        redis.start()

        wait_terminal([*orders, late], desk)
        stats = assert_invariants([*orders, late])
    finally:
        desk.stop()
        redis.stop()
        undo()
    print(f"\nRedis down {OUTAGE_S} s mid-execution; {stats}")
