"""The rest of Bybit's REST market data the desk reads: funding history, the account's fee rates, and the
largest order sizes, through the real pybit client against the loopback server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.market.bybit import BybitMarketData
from tests.loopback.fixtures import pybit_http


def test_funding_history_is_newest_first_every_eight_hours(bybit_server) -> None:
    rows = BybitMarketData(pybit_http(bybit_server)).funding_history("BTCUSDT", limit=5)
    assert len(rows) == 5
    times = [t for t, _ in rows]
    assert times == sorted(times, reverse=True) and times[0] - times[1] == 8 * 3600
    assert all(abs(rate) < 0.01 for _, rate in rows)


def test_spot_has_no_funding_history(bybit_server) -> None:
    with pytest.raises(ValueError, match="linear contracts, not spot"):
        BybitMarketData(pybit_http(bybit_server), category="spot").funding_history("BTCUSDT")


def test_fee_rates_are_the_accounts_maker_and_taker_rates(bybit_server) -> None:
    maker, taker = BybitMarketData(pybit_http(bybit_server)).fee_rates("BTCUSDT")
    expected_taker, expected_maker = bybit_server.venue.fee_rates["linear"]
    assert (maker, taker) == (Decimal(expected_maker), Decimal(expected_taker))


@pytest.mark.parametrize("category", ["linear", "spot"])
def test_instrument_limits_give_the_largest_order_sizes(bybit_server, category) -> None:
    limits = BybitMarketData(pybit_http(bybit_server), category=category).instrument_limits("ETHUSDT")
    assert limits.trading and limits.max_limit_qty is not None and limits.max_limit_qty > 0
