"""`python manage.py verify_audit`: exit 0 when the audit hash chain is intact, 1 and the first broken
event otherwise."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from execdesk.desk.audit_verify import CHUNK_SIZE, AuditVerdict, audit_verify
from execdesk.desk.models import AuditEvent


class Command(BaseCommand):
    help = ("Walk the audit trail in order and check every event's hash and its link to the event before it. "
            "Exit 0 when intact; 1, naming the first broken event, otherwise.")

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
        console = Console(file=sys.stderr)
        show = not no_progress and console.is_terminal
        verdict = self._verify(console if show else None, anchor=anchor, chunk_size=chunk_size)
        if as_json:
            self.stdout.write(_dumps(verdict))
        if not verdict.ok:
            raise CommandError(verdict.describe(), returncode=1)
        if not as_json:
            self.stdout.write(verdict.describe())

    def _verify(self, console: Console | None, *, anchor: str, chunk_size: int) -> AuditVerdict:
        if console is None:
            return audit_verify(anchor=anchor, chunk_size=chunk_size)
        columns = (TextColumn("verifying audit chain"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("verify", total=AuditEvent.objects.count())
            return audit_verify(progress=lambda done: bar.update(task, completed=done), anchor=anchor,
                                chunk_size=chunk_size)


def _dumps(verdict: AuditVerdict) -> str:
    return json.dumps(verdict.to_dict(), sort_keys=True)
