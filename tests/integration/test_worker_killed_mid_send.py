"""Workers SIGKILLed in the middle of a send (under the child's row lock, before the venue answered) strand
nothing and send nothing stale: every order reaches a terminal state within its deadline + 60 s, no child is
sent after its send-by time, none twice, every fill is recorded once and the audit chain is intact.

Real processes on PostgreSQL and a Redis of the test's own: a steady worker, beat, and three short-lived
workers that stall inside every send (tests/integration/pausing_worker.py) and are killed there."""

from __future__ import annotations

import pytest

from tests.integration.faults import (
    Desk,
    OwnRedis,
    assert_invariants,
    autopilot_orders,
    desk_env,
    orders_state,
    point_this_process_at,
    wait_terminal,
)
from tests.integration.pausing_worker import PAUSED

KILLS = 3


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_workers_killed_inside_a_send_strand_no_order_and_send_nothing_stale(alice, tmp_path, settings):
    redis = OwnRedis(tmp_path)
    redis.start()
    undo = point_this_process_at(redis)
    desk = Desk(tmp_path, desk_env(settings, redis))
    try:
        desk.worker("steady")
        desk.beat()
        # On a loaded machine a worker takes seconds to boot: the orders start once one can work them, with
        # room for three doomed workers to boot and each catch a send before the orders finish.
        desk.wait_for_line("steady", " ready.", timeout_s=90)
        orders = autopilot_orders(alice, 6, horizon_s=60)
        killed = []
        for i in range(KILLS):
            name = f"doomed{i}"
            desk.worker(name, module="tests.integration.pausing_worker")
            try:
                killed.append(desk.wait_for_line(name, PAUSED, timeout_s=90).split()[-1])
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{orders_state(orders)}") from None
            desk.kill(name)  # SIGKILL: no warm shutdown, no ack, its database connections just drop
        wait_terminal(orders, desk)
        stats = assert_invariants(orders)
    finally:
        desk.stop()
        redis.stop()
        undo()
    print(f"\nkilled inside the sends of {killed}; {stats}")
