"""Anchors: the audit chain's head, noted outside the database after each audit-writing commit.

A database writer can cut the last events off the trail (what is left still links and is still signed);
only a copy of the head kept elsewhere shows the cut. Each anchor is one JSON line
`{"event": id, "hash": ..., "ts": ..., "noted": ...}` appended to settings.AUDIT_ANCHOR_FILE (default
`<data dir>/audit_anchors.log`) with O_APPEND — one write(2) per line, so lines from several processes never
interleave on a local file system — and fsync'd.

Throttle: a head is written at once when nothing was written for AUDIT_ANCHOR_FSYNC_SECONDS; heads that
come faster are coalesced and the latest is written (and fsync'd) by a timer when the interval ends, and at
exit. So a busy desk writes a few lines a second, not one per event, and the last head always lands unless
the process is killed in that fraction of a second (the anchor before it still holds).
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Anchor:
    event_id: int
    hash: str
    ts: str  # the event's time, ISO 8601
    noted: str = ""  # when the anchor was written
    line: int = 0  # line number in the anchor file

    def describe(self) -> str:
        return f"event #{self.event_id} hash {self.hash} ({self.ts}), noted {self.noted or '?'}"


class _Writer:
    """One per process: the newest committed head not yet written, and when the file was last written."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: tuple[int, str, str] | None = None
        self.written_id = 0
        self.last_write = 0.0
        self.timer: threading.Timer | None = None
        self.path: Path | None = None

    def note(self, event_id: int, digest: str, ts: str) -> None:
        with self.lock:
            if self.path != anchor_path():  # another file (a test's), another trail: start afresh
                self.path, self.pending, self.written_id, self.last_write = anchor_path(), None, 0, 0.0
            if event_id <= self.written_id or (self.pending and event_id <= self.pending[0]):
                return
            self.pending = (event_id, digest, ts)
            interval = settings.AUDIT_ANCHOR_FSYNC_SECONDS
            wait = self.last_write + interval - time.monotonic() if self.last_write else 0.0
            if wait <= 0:
                self._write_locked()
            elif self.timer is None:
                self.timer = threading.Timer(wait, self.flush)
                self.timer.daemon = True
                self.timer.start()

    def flush(self) -> None:
        with self.lock:
            self.timer = None
            self._write_locked()

    def _write_locked(self) -> None:
        if self.pending is None:
            return
        event_id, digest, ts = self.pending
        noted = datetime.now(UTC).isoformat()
        line = json.dumps({"event": event_id, "hash": digest, "ts": ts, "noted": noted}, separators=(",", ":"))
        path = self.path or anchor_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.pending, self.written_id, self.last_write = None, event_id, time.monotonic()


_writer = _Writer()


def _after_fork() -> None:
    global _writer
    _writer = _Writer()  # a forked worker must not inherit a lock another thread held, nor its timer


os.register_at_fork(after_in_child=_after_fork)
atexit.register(lambda: _writer.flush())


def anchor_note(event_id: int, digest: str, ts: datetime) -> None:
    """A committed event is the chain's head (or was, a moment ago): note it. Call after commit."""
    _writer.note(event_id, digest, ts.isoformat())


def anchor_flush() -> None:
    """Write the newest noted head now (verify_audit and tests; exit does it too)."""
    _writer.flush()


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


class AnchorFileError(ValueError):
    pass


def anchors_read(path: Path | None = None) -> Iterator[Anchor]:
    """Every anchor in the file, in file order; a malformed line is an error naming it."""
    path = path or anchor_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                yield Anchor(event_id=int(row["event"]), hash=str(row["hash"]), ts=str(row.get("ts", "")),
                             noted=str(row.get("noted", "")), line=number)
            except (ValueError, KeyError, TypeError):
                raise AnchorFileError(f"{path}, line {number}: not an anchor ({raw.strip()[:80]!r})") from None
