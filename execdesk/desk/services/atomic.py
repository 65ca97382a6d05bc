"""One write transaction shape for every service.

There is no desk-wide lock: services lock what they change, in one order (lock_order below), and the few
desk-wide facts take row locks of their own (the desk state row: services/trading_gate.py; the audit
chain's head: services/audit.py, taken just before commit). SQLite (embedded) serialises writers anyway
(BEGIN IMMEDIATE, see settings); on PostgreSQL orders on different parent rows run side by side."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import transaction

# The lock order every service follows, so two transactions never wait on each other in a circle:
#   desk state row (FOR SHARE by a step, FOR UPDATE by what changes desk-wide figures)
#   → the symbol's paper market row → the parent order → its proposals → its child orders → fills
#   → the audit chain head (last, just before commit).
LOCK_ORDER = ("deskstate", "marketstate", "parentorder", "proposal", "childorder", "fill", "audit head")

_local = threading.local()


class Saveable(Protocol):
    def save(self) -> None: ...


@contextmanager
def desk_atomic() -> Iterator[None]:
    """A desk write transaction. Objects registered with `unit_of_work()` are saved once, and the hooks
    registered with `before_commit()` run once, just before the outermost block commits (so nested services
    share one in-memory copy of them)."""
    outermost = getattr(_local, "work", None) is None
    if not outermost:  # a savepoint: if it rolls back, what it buffered goes with its rows
        with desk_savepoint():
            yield
        return
    with transaction.atomic():
        _local.work, _local.buffers, _local.hooks = {}, {}, {}
        try:
            yield
            for obj in _local.work.values():
                obj.save()
            for hook in _local.hooks.values():
                hook()
        finally:
            _local.work = _local.buffers = _local.hooks = None


def unit_of_work() -> dict[str, Saveable]:
    work = getattr(_local, "work", None)
    if work is None:
        raise RuntimeError("this service must run inside desk_atomic()")
    return work


def in_desk_atomic() -> bool:
    return getattr(_local, "work", None) is not None


def before_commit(name: str, hook: Callable[[], None]) -> list[Any]:
    """Register `hook` to run once just before the outermost desk_atomic() commits; returns the list named
    `name`, the hook's buffer for this transaction (cut back by desk_savepoint() when a savepoint rolls back)."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        raise RuntimeError("this service must run inside desk_atomic()")
    _local.hooks.setdefault(name, hook)
    return buffers.setdefault(name, [])


@contextmanager
def desk_savepoint() -> Iterator[None]:
    """A savepoint inside desk_atomic(): when it rolls back, what it added to the before-commit buffers (audit
    events) is dropped with its rows."""
    buffers = getattr(_local, "buffers", None) or {}
    marks = {name: len(items) for name, items in buffers.items()}
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name, items in buffers.items():
            del items[marks.get(name, 0):]
        raise
