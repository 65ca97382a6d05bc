"""`manage.py execute` refuses bad options before anything trades, naming the option to fix."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import ParentOrder

pytestmark = pytest.mark.django_db

GOOD = {"--symbol": "BTCUSDT", "--side": "buy", "--qty": "0.05", "--horizon": "300", "--interval": "10",
        "--strategy": "twap", "--venue": "paper", "--market": "sim", "--advisor": "rules", "--approve": "auto"}


def execute(**changes: str | None) -> None:
    options = {**GOOD, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}
    argv = [part for key, value in options.items() if value is not None for part in (key, value)]
    call_command("execute", *argv, stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(("changes", "expected"), [
    ({"qty": "abc"}, "--qty abc: quantity 'abc' is not a number"),
    ({"qty": "-1"}, "--qty -1: quantity must be positive"),
    ({"qty": "0.0005"}, "--qty 0.0005: quantity 0.0005 is not a multiple of BTCUSDT's step 0.001"),
    ({"symbol": "DOGEUSDT"}, "--symbol DOGEUSDT: unknown symbol 'DOGEUSDT'"),
    ({"horizon": "10"}, "--horizon 10: horizon must be between 30 s"),
    ({"interval": "0"}, "--interval 0: decision interval must be between 1 s"),  # --approve auto: autopilot
    ({"interval": "2", "approve": "manual"}, "--interval 2: decision interval must be between 5 s"),
    ({"horizon": "30", "interval": "60"}, "--interval 60: decision interval must be between 1 s and the horizon"),
    ({"advisor": "anthropic"}, "the Claude advisor needs ANTHROPIC_API_KEY"),
    ({"side": "hold"}, "argument --side: invalid choice: 'hold'"),
    ({"strategy": "vwop"}, "argument --strategy: invalid choice: 'vwop'"),
    ({"horizon": "soon"}, "argument --horizon: invalid int value: 'soon'"),
    ({"approve": "maybe"}, "argument --approve: invalid choice: 'maybe'"),
    ({"venue": "binance"}, "argument --venue: invalid choice: 'binance'"),
    ({"grace": "-1"}, "--grace must be between 0 and 86400 seconds"),
    ({"grace": "nan"}, "--grace 'nan' is not a plain decimal"),
    ({"json": "/no/such/dir/out.json"}, "--json /no/such/dir/out.json: its directory does not exist"),
])
def test_a_bad_option_is_refused_naming_it_and_nothing_is_created(changes, expected):
    with pytest.raises(CommandError) as refused:
        execute(**changes)
    assert expected in str(refused.value)
    assert not ParentOrder.objects.exists()


@pytest.mark.parametrize(("venue", "market", "expected"), [
    ("paper", "bybit", "--market bybit cannot be traded on --venue paper"),
    ("bybit", "sim", "--market sim cannot be traded on --venue bybit"),
    ("paper", "replay:/tmp/trades.csv.gz", "replay markets are run by `manage.py backtest --tape /tmp/trades.csv.gz`"),
    ("paper", "nasdaq", "--market 'nasdaq': expected sim, bybit or replay:PATH"),
])
def test_a_venue_and_market_that_do_not_go_together_are_refused(venue, market, expected):
    with pytest.raises(CommandError) as refused:
        execute(venue=venue, market=market)
    assert expected in str(refused.value)
    assert not ParentOrder.objects.exists()


def test_an_unknown_user_is_refused_with_how_to_create_one():
    with pytest.raises(CommandError, match=r"--user: user 'nobody' does not exist; create it with "
                                           r"`manage.py desk_user nobody --role trader`"):
        execute(user="nobody")


def test_a_user_without_a_trading_role_is_refused(charlie):
    with pytest.raises(CommandError, match="--user: user 'charlie' has the role auditor; running an order needs "
                                           "the trader or supervisor role"):
        execute(user="charlie")
    assert not ParentOrder.objects.exists()


def test_the_required_options_are_named_when_missing():
    with pytest.raises(CommandError, match="the following arguments are required: --qty"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--horizon", "60", stdout=StringIO())


@pytest.mark.parametrize(("changes", "expected"), [
    ({"urgency": "high"}, "--urgency high: urgency applies to the IS strategy only, not to 'twap'"),
    ({"strategy": "is", "urgency": "high", "risk_aversion": "0.0001"},
     "--urgency high: give either an urgency or a risk aversion, not both"),
    ({"strategy": "is", "risk_aversion": "-1"}, "--risk-aversion -1: risk_aversion must be a finite number >= 0"),
    ({"strategy": "is", "risk_aversion": "lots"}, "--risk-aversion lots: risk aversion 'lots' is not a number"),
    ({"strategy": "is", "urgency": "asap"}, "argument --urgency: invalid choice: 'asap'"),
])
def test_bad_is_urgency_is_refused_naming_the_option(changes, expected):
    with pytest.raises(CommandError) as refused:
        execute(**changes)
    assert expected in str(refused.value)
    assert not ParentOrder.objects.exists()


@pytest.mark.parametrize(("changes", "expected"), [
    ({"pov_rate": "0.05"}, "--pov-rate 0.05: pov_rate applies to the POV strategy only, not to 'twap'"),
    ({"strategy": "pov", "min_participation": "0.06", "max_participation": "0.02"},
     "--min-participation 0.06: min_participation (0.06) must not exceed max_participation (0.02)"),
    ({"strategy": "pov", "pov_rate": "0.01", "min_participation": "0.02"},
     "--pov-rate 0.01: pov_rate (0.01) must be within [min_participation 0.02, max_participation 0.01]"),
    ({"strategy": "pov", "pov_rate": "0"}, "--pov-rate 0: pov_rate must be within (0, 1], got 0.0"),
    ({"strategy": "pov", "pov_rate": "2"}, "--pov-rate 2: pov_rate must be within (0, 1], got 2.0"),
    ({"strategy": "pov", "max_participation": "0.5"},
     "--max-participation 0.5: max_participation (0.5) is above the desk's participation cap (0.1)"),
])
def test_bad_pov_terms_are_refused_naming_the_option(changes, expected):
    with pytest.raises(CommandError) as refused:
        execute(**changes)
    assert expected in str(refused.value)
    assert not ParentOrder.objects.exists()
