"""`manage.py backtest`: JSON and HTML out, clear errors in."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command


def _run(*args):
    call_command("backtest", *args, "--horizon", "300", "--interval", "10", "--qty", "1", "--workers", "1")


def test_json_has_one_row_per_run_and_a_summary_and_html_is_a_plotly_report(tmp_path):
    out, report = tmp_path / "out.json", tmp_path / "report.html"
    _run("--strategies", "twap,adaptive", "--scenarios", "calm,drought", "--seeds", "2", "--json", str(out),
         "--html", str(report))
    data = json.loads(out.read_text())
    assert len(data["rows"]) == 2 * 2 * 2
    assert {r["strategy"] for r in data["rows"]} == {"twap", "adaptive"}
    assert data["summary"]["adaptive"]["vs_twap_bps"]["n"] == 4
    page = report.read_text()
    assert "Cost distribution" in page and "One execution: adaptive on calm, seed 1" in page
    assert "<script src=\"http" not in page and "Plotly.newPlot" in page  # plotly.js inlined: opens offline


def test_the_same_seeds_give_the_same_json(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _run("--strategies", "twap,is", "--scenarios", "news_jump", "--seeds", "2", "--json", str(a))
    _run("--strategies", "twap,is", "--scenarios", "news_jump", "--seeds", "2", "--json", str(b))
    rows = lambda p: json.loads(p.read_text())["rows"]  # noqa: E731
    assert rows(a) == rows(b)


@pytest.mark.parametrize(("args", "message"), [
    (["--strategies", "twap,sniper"], "unknown strategy sniper"),
    (["--scenarios", "calm,meltdown"], "unknown scenario meltdown"),
    (["--seeds", "0"], "seeds must be at least 1"),
    (["--tape", "/no/such/tape.csv"], "no such file"),
    (["--json", "/no/such/dir/out.json"], "directory does not exist"),
])
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_a_malformed_example_is_refused(tmp_path):
    with pytest.raises(CommandError, match="expected strategy:scenario:seed"):
        _run("--strategies", "twap", "--scenarios", "calm", "--seeds", "1", "--html", str(tmp_path / "r.html"),
             "--example", "twap")
