"""The parent order state machine (the seed chapter's, plus CANCELLED, the HALTED kill switch and EXPIRED: the
order's end-time policy stopped it at its end with a remainder, execdesk.domain.end_policy)."""

from __future__ import annotations

from enum import StrEnum


class ParentStatus(StrEnum):
    INITIALIZED = "INITIALIZED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    EXECUTING = "EXECUTING"  # a child order is working at the venue
    FILLED = "FILLED"  # (partial) fills received on the working child order
    ADJUSTING = "ADJUSTING"  # the advisor changed the execution rate; new parameters being applied
    COMPLETE = "COMPLETE"
    CANCELLED = "CANCELLED"
    HALTED = "HALTED"
    EXPIRED = "EXPIRED"  # stopped by its end-time policy with a remainder (terminal)

    @property
    def is_terminal(self) -> bool:
        return self in (ParentStatus.COMPLETE, ParentStatus.CANCELLED, ParentStatus.EXPIRED)

    @property
    def is_working(self) -> bool:
        """States in which the execution loop runs (proposals, child orders)."""
        return self in (
            ParentStatus.ACTIVE,
            ParentStatus.EXECUTING,
            ParentStatus.FILLED,
            ParentStatus.ADJUSTING,
        )


S = ParentStatus
_STOP = {S.CANCELLED, S.HALTED}
_END = {S.EXPIRED}  # only a working order reaches its end (a paused or halted order's clock stands still)

TRANSITIONS: dict[ParentStatus, frozenset[ParentStatus]] = {
    S.INITIALIZED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.PAUSED, S.EXECUTING, S.ADJUSTING, S.COMPLETE} | _STOP | _END),
    S.PAUSED: frozenset({S.ACTIVE} | _STOP),
    S.EXECUTING: frozenset({S.FILLED, S.ACTIVE, S.PAUSED} | _STOP | _END),
    S.FILLED: frozenset({S.COMPLETE, S.ADJUSTING, S.ACTIVE, S.PAUSED} | _STOP | _END),
    S.ADJUSTING: frozenset({S.ACTIVE, S.PAUSED} | _STOP | _END),
    S.HALTED: frozenset({S.ACTIVE, S.PAUSED, S.CANCELLED}),
    S.COMPLETE: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


class IllegalTransition(ValueError):
    def __init__(self, current: ParentStatus, target: ParentStatus) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (terminal state)"
        super().__init__(
            f"illegal transition {current} → {target}; from {current} the allowed states are: {allowed}"
        )
        self.current = current
        self.target = target


def check_transition(current: ParentStatus | str, target: ParentStatus | str) -> ParentStatus:
    """Return the target state, or raise IllegalTransition naming what is allowed."""
    cur, tgt = ParentStatus(current), ParentStatus(target)
    if tgt not in TRANSITIONS[cur]:
        raise IllegalTransition(cur, tgt)
    return tgt
