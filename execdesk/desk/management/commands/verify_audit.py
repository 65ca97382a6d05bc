"""`python manage.py verify_audit`: exit 0 when the audit trail is intact — every event's hash, link and keyed
signature, the anchors noted outside the database, and the fills, child orders, proposals and parent orders
against what the trail recorded — and 1, naming what is broken, otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from execdesk.desk.audit.anchor import Anchor, AnchorFileError, anchor_flush, anchor_path, anchors_read
from execdesk.desk.audit.crosscheck import CrossCheck, audit_crosscheck
from execdesk.desk.audit.verify import CHUNK_SIZE, AuditVerdict, audit_verify
from execdesk.desk.models import AuditEvent


class Command(BaseCommand):
    help = ("Walk the audit trail in order and check every event's hash, its link to the event before it and its "
            "keyed signature; check the chain heads anchored outside the database; cross-check fills, child "
            "orders, proposals and parent orders against the trail. Exit 0 when intact; 1, naming what is "
            "broken, otherwise.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the verdict as JSON on stdout")
        parser.add_argument("--anchor", default="", metavar="HASH",
                            help="a head hash noted earlier: fail unless the chain still contains it")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="events read per query")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, as_json: bool, anchor: str, chunk_size: int, no_progress: bool, **options) -> None:
        if chunk_size < 1:
            raise CommandError(f"--chunk-size must be at least 1, got {chunk_size}")
        anchor = anchor.strip().lower()
        if anchor and (len(anchor) != 64 or any(c not in "0123456789abcdef" for c in anchor)):
            raise CommandError("--anchor must be a 64-character hex sha256 hash")
        anchor_flush()  # a head this process noted but has not written yet
        console = Console(file=sys.stderr)
        show = not no_progress and console.is_terminal
        try:
            verdict, cross = self._verify(console if show else None, anchor=anchor, chunk_size=chunk_size,
                                          anchors=anchors_read())  # streamed: the file may be long
        except AnchorFileError as exc:
            raise CommandError(f"anchor file unreadable: {exc}", returncode=1) from None
        if as_json:
            self.stdout.write(json.dumps({**verdict.to_dict(), "ok": verdict.ok and cross.ok,
                                          "anchor_file": str(anchor_path()), "crosscheck": cross.to_dict()},
                                         sort_keys=True))
        problems = [verdict.describe()] if not verdict.ok else []
        if not cross.ok:
            problems += [cross.describe(), *(m.describe() for m in cross.mismatches)]
        if problems:
            raise CommandError("\n".join([*problems, _anchor_line(verdict)]), returncode=1)
        if not as_json:
            self.stdout.write(verdict.describe())
            self.stdout.write(_anchor_line(verdict))
            self.stdout.write(cross.describe())

    def _verify(self, console: Console | None, *, anchor: str, chunk_size: int,
                anchors: Iterable[Anchor]) -> tuple[AuditVerdict, CrossCheck]:
        if console is None:
            return (audit_verify(anchor=anchor, chunk_size=chunk_size, anchors=anchors), audit_crosscheck())
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            total = AuditEvent.objects.count()
            task = bar.add_task("verifying audit chain", total=total)
            verdict = audit_verify(progress=lambda done: bar.update(task, completed=done), anchor=anchor,
                                   chunk_size=chunk_size, anchors=anchors)
            cross_task = bar.add_task("cross-checking tables", total=None)
            cross = audit_crosscheck(progress=lambda done: bar.update(cross_task, completed=done))
            bar.update(cross_task, total=1, completed=1)
            return verdict, cross


def _anchor_line(verdict: AuditVerdict) -> str:
    if verdict.anchor is None:
        return f"no anchors in {anchor_path()}: a cut-off tail cannot be detected"
    return f"latest anchor: {verdict.anchor.describe()} — {verdict.anchors} anchors in {anchor_path()}"
