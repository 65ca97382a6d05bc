"""Bybit market data through the real pybit HTTP client, against the loopback v5 server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.rest import http_client
from execdesk.market.bybit import BybitMarketData


def _market(server, category="linear", now=None):
    config = BybitConfig.from_env({"EXECDESK_BYBIT_REST_URL": server.url,
                                   "EXECDESK_BYBIT_API_KEY": server.api_key,
                                   "EXECDESK_BYBIT_API_SECRET": server.api_secret})
    clock = (lambda: now) if now is not None else server.venue.clock
    return BybitMarketData(http_client(config, timeout_s=2), category=category, clock=clock)


@pytest.mark.parametrize(("symbol", "category", "tick", "step"), [
    ("BTCUSDT", "linear", "0.1", "0.001"),
    ("ETHUSDT", "linear", "0.01", "0.01"),
    ("BTCUSDT", "spot", "0.01", "0.000001"),
])
def test_instrument_rules_come_from_instruments_info(bybit_server, symbol, category, tick, step):
    instrument = _market(bybit_server, category).instrument(symbol)
    assert instrument.tick_size == Decimal(tick) and instrument.qty_step == Decimal(step)
    assert instrument.min_notional == Decimal("5")


def test_a_snapshot_has_the_simulators_shape(bybit_server):
    snap = _market(bybit_server).snapshot("BTCUSDT")
    assert snap.source == "bybit" and snap.symbol == "BTCUSDT"
    assert snap.best_bid < snap.mid < snap.best_ask
    assert len(snap.bids) == 5 and len(snap.asks) == 5
    assert snap.bids[0].price == snap.best_bid and snap.asks[0].price == snap.best_ask
    assert snap.mid == pytest.approx(65_000, rel=1e-3)
    assert snap.from_dict(snap.to_dict()) == snap


def test_an_unknown_symbol_is_a_clear_error(bybit_server):
    from pybit.exceptions import InvalidRequestError

    from execdesk.bybit.parse import BybitPayloadError

    with pytest.raises((BybitPayloadError, InvalidRequestError), match="DOGEUSDT|symbol"):
        _market(bybit_server).instrument("DOGEUSDT")


def test_the_client_is_never_built_with_zero_attempts():
    config = BybitConfig.from_env({})
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        http_client(config, attempts=0)


def test_hourly_volumes_feed_the_vwap_curve(bybit_server):
    from execdesk.domain.strategies.vwap import VolumeCurve

    samples = _market(bybit_server).hourly_volumes("BTCUSDT", hours=24)
    assert samples, "no complete hour from the klines"
    starts = [t for t, _ in samples]
    assert starts == sorted(starts) and all(t % 3600 == 0 for t in starts)
    assert all(v >= 0 for _, v in samples)
    VolumeCurve.from_hourly_volumes(samples)  # a usable curve
    with pytest.raises(ValueError, match="hours must be within"):
        _market(bybit_server).hourly_volumes("BTCUSDT", hours=0)
