"""One write transaction shape for every service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.db import connection, transaction

# Every state-changing service runs under one PostgreSQL transaction-level advisory lock. Writes are
# few (a desk, not an exchange) and this makes them serial: the audit hash chain follows commit
# order, and no two services can deadlock however they order their row locks. SQLite gets the same
# behaviour from BEGIN IMMEDIATE (see settings). Row locks and conditional updates are kept anyway so
# the exactly-once guarantees do not rest on this lock alone.
_DESK_LOCK_KEY = 0x45584543  # "EXEC"

_local = threading.local()


class Saveable(Protocol):
    def save(self) -> None: ...


@contextmanager
def desk_atomic() -> Iterator[None]:
    """A desk write transaction. Objects registered with `unit_of_work()` are saved once, just
    before the outermost block commits, so nested services share one in-memory copy of them."""
    outermost = getattr(_local, "work", None) is None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_DESK_LOCK_KEY])
        if not outermost:
            yield
            return
        _local.work = {}
        try:
            yield
            for obj in _local.work.values():
                obj.save()
        finally:
            _local.work = None


def unit_of_work() -> dict[str, Saveable]:
    work = getattr(_local, "work", None)
    if work is None:
        raise RuntimeError("this service must run inside desk_atomic()")
    return work
