"""A parent order's schedule clock stops while the order cannot trade and, when it can again, the schedule
continues from where it stopped: the deadline moves by the time stood still, so no backlog (and no catch-up
burst) accrues during a desk HALT or an order PAUSE.

The clock stops when the desk halts (every started order) or the order is paused; it runs again when both
are over. `order_schedule_times` gives the strategies the schedule's start and deadline: the real start
shifted by the total time stood still, and the deadline (already moved by the finished stops) shifted by a
stop still going on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.trading_gate import desk_halted
from execdesk.domain.states import ParentStatus

_TERMINAL = [s.value for s in ParentStatus if s.is_terminal]
STOPPED = (ParentStatus.PAUSED, ParentStatus.HALTED)  # an order's own states in which its clock stands


def clock_stop(parent: ParentOrder, now: datetime) -> list[str]:
    """Stop a started order's clock (already stopped: unchanged). Returns the fields to save."""
    if parent.started_at is None or parent.clock_stopped_at is not None:
        return []
    parent.clock_stopped_at = now
    return ["clock_stopped_at"]


def clock_run(parent: ParentOrder, now: datetime) -> list[str]:
    """Run a stopped clock again: the deadline moves by the stop. Returns the fields to save."""
    if parent.clock_stopped_at is None:
        return []
    stood = _stood(parent.clock_stopped_at, parent.started_at, now)
    parent.clock_shift_seconds += stood.total_seconds()
    if parent.deadline is not None:
        parent.deadline += stood
    parent.clock_stopped_at = None
    return ["clock_stopped_at", "clock_shift_seconds", "deadline"]


def clock_on_transition(parent: ParentOrder, current: ParentStatus, target: ParentStatus,
                        now: datetime) -> list[str]:
    """Pausing (or halting) the order stops its clock; resuming it runs it again unless the desk is halted
    (the desk's resume does it then). Returns the fields to save."""
    if target in STOPPED:
        return clock_stop(parent, now)
    if current in STOPPED and target.is_working and desk_halted() is None:
        return clock_run(parent, now)
    return []


def clocks_stop_all(now: datetime) -> int:
    """The desk halts: every started, unfinished order's clock stops (one statement; no row is read)."""
    return (ParentOrder.objects.filter(started_at__isnull=False, clock_stopped_at__isnull=True)
            .exclude(status__in=_TERMINAL).update(clock_stopped_at=now))


def clocks_run_all(now: datetime) -> int:
    """The desk resumes: the clocks of orders not paused (or halted) on their own run again. Only the
    clock's columns are read, so a row with a broken number elsewhere cannot stop the resume."""
    rows = (ParentOrder.objects.filter(clock_stopped_at__isnull=False)
            .exclude(status__in=_TERMINAL + [s.value for s in STOPPED])
            .values_list("pk", "clock_stopped_at", "deadline", "started_at"))
    for pk, stopped_at, deadline, started_at in list(rows):
        if stopped_at is None:  # excluded by the filter; says so to the type checker
            continue
        stood = _stood(stopped_at, started_at, now)
        ParentOrder.objects.filter(pk=pk, clock_stopped_at=stopped_at).update(
            clock_stopped_at=None, clock_shift_seconds=F("clock_shift_seconds") + stood.total_seconds(),
            deadline=deadline + stood if deadline is not None else None)
    return len(rows)


def _stood(stopped_at: datetime, started_at: datetime | None, now: datetime) -> timedelta:
    """How long the schedule stood still: a stop before a scheduled start only counts from the start."""
    since = max(stopped_at, started_at) if started_at is not None else stopped_at
    return max(now - since, timedelta(0))


def order_schedule_times(parent: ParentOrder, now: datetime) -> tuple[datetime, datetime]:
    """(start, deadline) of the order's schedule as the strategies should see them at `now`."""
    started = parent.started_at or now
    deadline = parent.deadline or started + timedelta(seconds=parent.horizon_seconds)
    standing = _stood(parent.clock_stopped_at, parent.started_at, now) if parent.clock_stopped_at else timedelta(0)
    return started + timedelta(seconds=parent.clock_shift_seconds) + standing, deadline + standing
