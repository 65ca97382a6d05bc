"""`manage.py backtest`: JSON and HTML out, clear errors in."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command


def _run(*args):
    call_command("backtest", *args, "--horizon", "300", "--interval", "10", "--qty", "1", "--workers", "1")


def test_json_has_one_row_per_run_and_a_summary_and_html_is_a_plotly_report(tmp_path):
    out, report, md = tmp_path / "out.json", tmp_path / "report.html", tmp_path / "summary.md"
    _run("--strategies", "twap,adaptive", "--scenarios", "calm,drought", "--seeds", "2", "--json", str(out),
         "--html", str(report), "--markdown", str(md))
    data = json.loads(out.read_text())
    assert len(data["rows"]) == 2 * 2 * 2 * 2  # both sides by default
    assert {r["strategy"] for r in data["rows"]} == {"twap", "adaptive"}
    assert {r["side"] for r in data["rows"]} == {"buy", "sell"} and data["suite"]["sides"] == ["buy", "sell"]
    assert data["summary"]["adaptive"]["vs_twap_bps"]["n"] == 4  # pooled: one value per path
    assert data["summary"]["adaptive"]["by_side"]["sell"]["vs_twap_bps"]["n"] == 4
    # adaptive × (calm, drought, all) × (buy, sell, pooled)
    assert data["statistics"] == {"intervals": "95 % Student-t intervals of the mean; differences paired by market "
                                               "path", "correction": "Holm-Bonferroni", "alpha": 0.05, "family": 9,
                                  "control": "calm"}
    page = report.read_text()
    assert "Cost distribution" in page and "One execution: adaptive on calm, seed 1" in page
    assert "<script src=\"http" not in page and "Plotly.newPlot" in page  # plotly.js inlined: opens offline
    for text in (page, md.read_text()):
        assert "Buy 1 BTCUSDT over 300 s" in text and "Sell 1 BTCUSDT over 300 s" in text and "Pooled" in text
        assert "significant after Holm–Bonferroni (α = 0.05)" in text and "calm (martingale control: Δ from timing expected 0)" in text
        assert "expected difference to TWAP from timing is zero" in text


def test_one_side_gives_one_table_and_no_pooled_one(tmp_path):
    out, md = tmp_path / "out.json", tmp_path / "summary.md"
    _run("--strategies", "twap,is", "--scenarios", "calm", "--seeds", "2", "--side", "sell", "--json", str(out),
         "--markdown", str(md))
    data = json.loads(out.read_text())
    assert {r["side"] for r in data["rows"]} == {"sell"} and list(data["summary"]["is"]["by_side"]) == ["sell"]
    assert data["statistics"]["family"] == 2  # is × (calm, all)
    text = md.read_text()
    assert "Sell 1 BTCUSDT" in text and "Buy 1 BTCUSDT" not in text and "Pooled" not in text


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
    (["--side", "long"], "invalid choice"),
    (["--pov-rate", "0"], r"pov_rate must be within \(0, 1\], got 0"),
    (["--pov-rate", "1.5"], r"pov_rate must be within \(0, 1\], got 1.5"),
])
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_a_malformed_example_is_refused(tmp_path):
    with pytest.raises(CommandError, match="expected strategy:scenario:seed"):
        _run("--strategies", "twap", "--scenarios", "calm", "--seeds", "1", "--html", str(tmp_path / "r.html"),
             "--example", "twap")


def _help(command: str) -> str:
    from django.core.management import load_command_class
    parser = load_command_class("execdesk.desk", command).create_parser("manage.py", command)
    return " ".join(parser.format_help().split())  # argparse wraps lines


def test_help_lists_every_scenario_from_the_regime_suite(monkeypatch):
    from execdesk.market import regimes
    text = _help("backtest")
    assert all(name in text for name in regimes.SCENARIOS), text
    # read from the suite itself, not a copy: a scenario added to it is listed
    monkeypatch.setitem(regimes.SCENARIOS, "lunar_eclipse", regimes.Scenario("lunar_eclipse", "a test regime"))
    assert "lunar_eclipse" in _help("backtest")
