"""Catch-up control: an order behind its schedule catches up at most `max_catchup` times the scheduled slice a
step (pure Python; applied by the one step engine for desk and backtest, and by the rules advisor).

Without it a schedule's backlog snowballs: proposals nobody answered for two minutes left TWAP proposing a
market order of ten slices, bounded only by the participation cap. With it the slice is capped at
K × the slice the schedule has due now (default 2: the slice due and one more of the backlog), never
below the instrument's minimum order; the backlog is worked off over the following steps, or, at the
deadline, handled by the end-time policy (finish crosses it in the last interval, capped by the risk gate;
expire leaves it). The reasoning says when the order is behind and by how much.

POV follows the market's volume, not a clock: its slice is bounded by its participation rate, and the cap
does not apply (`Strategy.schedule_bound` False).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import replace
from weakref import WeakKeyDictionary

from execdesk.domain.instrument import Instrument
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.strategies.base import Slice, Strategy, StrategyDecision

DEFAULT_MAX_CATCHUP = 2.0
MAX_CATCHUP_LIMIT = 100.0  # beyond this the cap caps nothing a desk would call a slice

_plans: WeakKeyDictionary[Strategy, tuple[tuple[float, float], list[float], list[float]]] = WeakKeyDictionary()


def max_catchup_input(value: object) -> float:
    """K from `value` (None or "" for the default): a number from 1 (never more than the slice due) to 100."""
    if value is None or value == "":
        return DEFAULT_MAX_CATCHUP
    try:
        k = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise ValueError(f"max_catchup must be a number from 1 to {MAX_CATCHUP_LIMIT:g}, got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(k) and 1 <= k <= MAX_CATCHUP_LIMIT):
        raise ValueError(f"max_catchup must be a number from 1 to {MAX_CATCHUP_LIMIT:g} (a multiple of the "
                         f"scheduled slice), got {value!r}")
    return k


def scheduled_slice(strategy: Strategy, progress: OrderProgress) -> float:
    """The schedule's slice due now: the latest slice whose time has come (the first before any has)."""
    offsets, sizes = _plan(strategy, progress)
    if not sizes:
        return 0.0
    due = bisect_right(offsets, progress.now - progress.started_at)
    return sizes[max(due - 1, 0)]


def _plan(strategy: Strategy, progress: OrderProgress) -> tuple[list[float], list[float]]:
    """The strategy's plan, built once per order (the schedule costs O(slices) and every step asks)."""
    key = (progress.quantity, progress.started_at)
    cached = _plans.get(strategy)
    if cached is None or cached[0] != key:
        plan: list[Slice] = strategy.schedule(progress.quantity, progress.started_at)
        cached = (key, [s.offset_seconds for s in plan], [s.quantity for s in plan])
        _plans[strategy] = cached
    return cached[1], cached[2]


def catchup_capped(decision: StrategyDecision, *, strategy: Strategy, progress: OrderProgress,
                   max_catchup: float, floor: float = 0.0) -> StrategyDecision:
    """The decision with its slice capped at `max_catchup` × the scheduled slice (never below `floor`, the
    instrument's minimum order); its reason says how far behind the order is when it is."""
    if not getattr(strategy, "schedule_bound", True) or decision.quantity <= 0:
        return decision
    slice_now = scheduled_slice(strategy, progress)
    if slice_now <= 0:
        return decision
    cap = max(max_catchup * slice_now, floor)
    behind = decision.schedule_target - progress.executed
    note = ""
    if behind > slice_now * (1 + 1e-9):
        note = (f" Behind schedule by {behind:.6g} ({behind / slice_now:.1f} scheduled slices of {slice_now:.6g}, "
                f"{behind / progress.quantity * 100:.1f} % of the order).")
    if decision.quantity <= cap * (1 + 1e-12):
        if not note:
            return decision
        return StrategyDecision(decision.action, decision.quantity, decision.schedule_target, decision.reason + note)
    return StrategyDecision(decision.action, cap, decision.schedule_target,
                            f"{decision.reason}{note} Catch-up capped at {max_catchup:g}× the scheduled slice: "
                            f"{cap:.6g} instead of {decision.quantity:.6g}; the rest stays in the backlog.")


def catchup_cap(strategy: Strategy, progress: OrderProgress, *, max_catchup: float, floor: float = 0.0,
                final: bool = False) -> float | None:
    """The largest child order the cap allows now, or None where it does not apply (POV, a schedule with
    nothing due, or `final`: the end policy's own last cross or continue's rate)."""
    if final or not getattr(strategy, "schedule_bound", True):
        return None
    slice_now = scheduled_slice(strategy, progress)
    return None if slice_now <= 0 else max(max_catchup * slice_now, floor)


def draft_within_catchup(draft: ProposalDraft, *, cap: float | None, max_catchup: float,
                         instrument: Instrument) -> ProposalDraft:
    """An advisor's draft (Claude's, which sizes its own slices) held to the catch-up cap like the strategy."""
    if cap is None or not draft.action.sends_order or draft.quantity <= cap * (1 + 1e-9):
        return draft
    qty = float(instrument.qty(cap))
    return replace(draft, quantity=qty,
                   reasoning=(f"{draft.reasoning} Sized down from {draft.quantity:.6g} to {qty:g}: catch-up is "
                              f"capped at {max_catchup:g}× the scheduled slice."))
