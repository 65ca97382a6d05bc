"""Services and the engine never branch on a venue's name: they call the order's venue gateway and read
what differs as its capability (execdesk.desk.services.venues, execdesk.venues.gateway)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "execdesk"
GUARDED = [ROOT / "desk" / "services", ROOT / "engine", ROOT / "backtest"]
VENUE_NAME_BRANCH = re.compile(r"""venue\s*[!=]=|[!=]=\s*["'](paper|bybit)["']|["'](paper|bybit)["']\s*[!=]=""")


def test_no_service_or_engine_module_compares_a_venue_name() -> None:
    hits = [f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}"
            for folder in GUARDED for path in sorted(folder.rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if VENUE_NAME_BRANCH.search(line)]
    assert hits == []


def test_the_pattern_catches_the_branches_it_is_meant_to_catch() -> None:
    for line in ('if parent.venue == "paper":', "if venue != 'bybit':", 'if row[1] == "paper"',
                 'key=lambda pk: (venues[pk] == "paper", pk)'):
        assert VENUE_NAME_BRANCH.search(line), line
    assert not VENUE_NAME_BRANCH.search('ChildOrder.objects.filter(venue="bybit")')
