"""What a parent order does at its deadline: its end-time policy (pure Python, one rule for desk and backtest).

* ``finish`` (the default): the whole remainder is due in the last interval and crosses the spread (the
  risk gate caps each cross: participation, notional). A step that comes late, or a remainder the gate
  held back, gets one more interval past the deadline to cross; then the order ends — COMPLETE, or
  EXPIRED with the remainder reported. A desk that was told "buy 3 BTC over 2 hours" owes 3 BTC by then:
  the standard expectation of a schedule-bound algo, and the desk's behaviour before the policy existed.
* ``expire``: the order works its schedule until the deadline and stops there: what rests is cancelled,
  the order ends EXPIRED and the remainder is reported with what completing it would cost.
* ``continue``: past the deadline the order keeps working at the schedule's last rate (never slower than
  its average rate, so any remainder takes at most one more horizon) until it is done or a human cancels
  it. An unattended run (the backtest, `manage.py execute`) stands in for that human one horizon past the
  deadline (`unattended_stop_at`).

Every policy ends: `work_ends_at` is when the order stops working (None: continue, which ends when done
or cancelled).
"""

from __future__ import annotations

import math
from enum import StrEnum

from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.base import Slice, Strategy, StrategyDecision

EPS = 1e-9


class EndPolicy(StrEnum):
    FINISH = "finish"
    EXPIRE = "expire"
    CONTINUE = "continue"


DEFAULT_END_POLICY = EndPolicy.FINISH
END_POLICIES: tuple[str, ...] = tuple(p.value for p in EndPolicy)


def end_policy_input(value: object) -> EndPolicy:
    """The policy named `value` (None or "" for the default); a clear error otherwise."""
    if value is None or value == "":
        return DEFAULT_END_POLICY
    try:
        return EndPolicy(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"unknown end policy {value!r}; valid: {', '.join(END_POLICIES)}") from None


def work_ends_at(policy: EndPolicy, *, deadline: float, interval_s: float) -> float | None:
    """When an order still working stops: the deadline (expire), one interval past it (finish: the final
    cross's interval), never (continue: done or cancelled)."""
    if policy is EndPolicy.EXPIRE:
        return deadline
    if policy is EndPolicy.FINISH:
        return deadline + interval_s
    return None


def unattended_stop_at(policy: EndPolicy, *, deadline: float, interval_s: float, horizon_s: float) -> float:
    """When a run nobody watches stops the order: its policy's end, or for continue one horizon past the
    deadline (at no less than the average rate, that finishes any remainder the venue fills)."""
    end = work_ends_at(policy, deadline=deadline, interval_s=interval_s)
    return end if end is not None else deadline + horizon_s


def work_over(policy: EndPolicy, progress: OrderProgress, interval_s: float) -> bool:
    end = work_ends_at(policy, deadline=progress.deadline, interval_s=interval_s)
    return end is not None and progress.now >= end - EPS


def continue_slice(schedule: list[Slice], *, quantity: float, horizon_s: float, interval_s: float) -> float:
    """The quantity per interval past the deadline under continue: the schedule's last slice, never below its
    average slice (quantity × interval / horizon)."""
    last = next((s.quantity for s in reversed(schedule) if s.quantity > 0), 0.0)
    average = quantity * min(interval_s / horizon_s, 1.0) if horizon_s > 0 else quantity
    return max(last, average)


def end_shaped(decision: StrategyDecision, *, policy: EndPolicy, progress: OrderProgress, interval_s: float,
               strategy: Strategy) -> StrategyDecision:
    """The strategy's decision as the end policy has it near and past the deadline; unchanged before the
    last interval (and, for expire, up to the deadline: the schedule's own last slice)."""
    remaining = progress.remaining
    if remaining <= 0 or progress.now < progress.started_at:
        return decision
    left, late = progress.deadline - progress.now, progress.now - progress.deadline
    if policy is EndPolicy.FINISH and left <= interval_s + EPS:
        when = f"{left:.0f} s left" if left > 0 else f"{late:.0f} s past the deadline"
        return StrategyDecision(Action.AGGRESSIVE, remaining, decision.schedule_target,
                                f"Final interval ({when}), end policy finish: crossing the spread with the "
                                f"{remaining:.6g} that remains to complete (the risk gate caps the size). "
                                f"Strategy: {decision.reason}")
    if left > 0:
        return decision
    if policy is EndPolicy.EXPIRE:
        return StrategyDecision(Action.WAIT, 0.0, decision.schedule_target,
                                f"The deadline has passed, end policy expire: the order stops with "
                                f"{remaining:.6g} unfilled.")
    if policy is EndPolicy.CONTINUE:
        schedule = strategy.schedule(progress.quantity, progress.started_at)
        rate = continue_slice(schedule, quantity=progress.quantity, horizon_s=progress.horizon, interval_s=interval_s)
        qty = min(remaining, rate)
        if not (math.isfinite(qty) and qty > 0):
            return decision
        return StrategyDecision(Action.AGGRESSIVE, qty, decision.schedule_target,
                                f"{late:.0f} s past the deadline, end policy continue: working on at the "
                                f"schedule's last rate ({rate:.6g} per interval) with {remaining:.6g} left, "
                                f"until done or cancelled; sending {qty:.6g}.")
    return decision
