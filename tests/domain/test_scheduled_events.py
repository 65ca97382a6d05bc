"""Scheduled events (a calendar) in the pre-trade band: a certain jump of unknown direction at a known time."""

import math
from datetime import UTC, datetime

import pytest

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.pretrade import pretrade_estimate
from execdesk.domain.pretrade_band import pretrade_band, share_to_trade
from execdesk.domain.scheduled_events import ScheduledEvent, events_in_window

SIGMA_PER_S = 0.01 / 60  # 1 % an hour
START = datetime(2026, 12, 7, 13, 0, tzinfo=UTC).timestamp()


def _market(ts: float = START, symbol: str = "BTCUSDT") -> MarketSnapshot:
    return MarketSnapshot(symbol=symbol, ts=ts, mid=64_000.0, best_bid=63_999.95, best_ask=64_000.05,
                          bids=(Level(63_999.95, 2.0),), asks=(Level(64_000.05, 2.0),), volume_1h=720.0,
                          volatility_1h=0.01)


@pytest.mark.parametrize("offset_s, share", [
    (0.0, 1.0),  # before the first slice: all of it
    (900.0, 0.75),  # slices at 0, 900, 1800, 2700: the one due at 900 trades after the move
    (1000.0, 0.5),  # during slice 1: slices 2 and 3 left
    (2700.0, 0.25),
    (2701.0, 0.0),  # the last slice is done
    (-1.0, 0.0),  # before the start: already in the arrival price
    (3600.0, 0.0),  # at the end
])
def test_the_share_still_to_trade_at_a_move_counts_the_slices_not_yet_traded(offset_s, share):
    assert share_to_trade(offset_s, 3600.0, 4) == share


def test_an_event_alone_gives_the_normal_band_of_its_move_times_the_share_left():
    # no diffusion, no jumps: one event of 100 bps with half the order left is a normal of 50 bps
    band = pretrade_band(sigma_per_s=0.0, duration_s=3600.0, n_slices=4, confidence=0.95, jumps=None,
                         volatility_dof=None, event_moves_bps=[50.0])
    assert band.event_risk_bps == 50.0
    assert band.half_width_bps == pytest.approx(1.959964 * 50.0, rel=1e-6)  # 97.998 bps


def test_an_event_adds_its_variance_to_the_timing_risk():
    # N = 4 over 1 h: share = 3 x 7 / (6 x 16) = 0.21875; V_d = (1.6667 bps)^2 x 3600 x 0.21875 = 2187.5;
    # an event of 150 bps at +1000 s (2 of 4 slices left): 75 bps, 5625; sqrt(7812.5) = 88.388 bps
    risks = events_in_window([ScheduledEvent(at_ts=START + 1000.0, move_bps=150.0, name="CPI")],
                             symbol="BTCUSDT", start_ts=START, duration_s=3600.0, n_slices=4)
    assert [r.risk_bps for r in risks] == [75.0]
    band = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=4, confidence=0.95, jumps=None,
                         volatility_dof=None, event_moves_bps=[r.risk_bps for r in risks])
    assert band.timing_risk_bps == pytest.approx(math.sqrt(2187.5), rel=1e-9)
    assert band.half_width_bps == pytest.approx(1.959964 * 88.388348, rel=1e-6)  # 173.24 bps
    two = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=4, confidence=0.95, jumps=None,
                        volatility_dof=None, event_moves_bps=[75.0, 40.0])
    assert two.event_risk_bps == pytest.approx(85.0)  # sqrt(75^2 + 40^2)


def test_an_event_outside_the_window_or_for_another_symbol_changes_nothing():
    events = [ScheduledEvent(at_ts=START - 60.0, move_bps=150.0, name="before"),
              ScheduledEvent(at_ts=START + 3600.0, move_bps=150.0, name="after the horizon"),
              ScheduledEvent(at_ts=START + 900.0, move_bps=150.0, name="unlock", symbols=("ETHUSDT",))]
    with_events = pretrade_estimate(side="buy", quantity=1.0, horizon_s=3600, interval_s=30, market=_market(),
                                    events=events)
    plain = pretrade_estimate(side="buy", quantity=1.0, horizon_s=3600, interval_s=30, market=_market())
    assert with_events.scheduled_events == ()
    assert (with_events.low_bps, with_events.high_bps) == (plain.low_bps, plain.high_bps)
    assert with_events.scheduled_line == "" and with_events.event_widening_bps == 0.0


def test_the_desk_estimate_widens_its_band_by_an_event_and_says_so():
    cpi = ScheduledEvent(at_ts=START + 1800.0, move_bps=150.0, name="CPI", symbols=("btcusdt",),
                         source="US CPI release, BLS")
    est = pretrade_estimate(side="buy", quantity=1.0, horizon_s=3600, interval_s=30, market=_market(), events=[cpi])
    plain = pretrade_estimate(side="buy", quantity=1.0, horizon_s=3600, interval_s=30, market=_market())
    # 120 slices of 30 s; at +1800 s slices 0..59 are done: half the order left, 75 bps
    (risk,) = est.scheduled_events
    assert risk.share == 0.5 and risk.risk_bps == 75.0 and est.event_risk_bps == 75.0
    widened = (est.high_bps - est.expected_cost_bps) - (plain.high_bps - plain.expected_cost_bps)
    assert est.event_widening_bps == pytest.approx(widened, abs=1e-9)
    assert widened > 0
    assert est.expected_cost_bps == plain.expected_cost_bps  # the band moves, the expectation does not
    assert est.scheduled_line == (f"scheduled: CPI at 13:30 UTC, typical ±150 bps (50% of the order still to "
                                  f"trade): band widened by {widened:.1f} bps")
    data = est.to_dict()
    assert data["scheduled_line"] == est.scheduled_line
    assert data["scheduled_events"][0]["symbols"] == ["BTCUSDT"]
    assert data["scheduled_events"][0]["at"] == "2026-12-07T13:30:00+00:00"


def test_a_recurring_event_counts_every_time_it_lands_in_the_window():
    # funding every 8 h, first on 2026-12-07 00:00 UTC; an order from 13:00 over 12 h in hourly slices meets
    # it at 16:00 (+3 h: the slices at +0, +1, +2 h are done, 9 of 12 left) and at 24:00 (+11 h: 1 left);
    # the one at 08:00 is before the order, the one at 08:00 the next day after it
    funding = ScheduledEvent(at_ts=START - 13 * 3600.0, move_bps=40.0, name="funding", every_s=8 * 3600.0)
    risks = events_in_window([funding], symbol="BTCUSDT", start_ts=START, duration_s=12 * 3600.0, n_slices=12)
    assert [(r.event.at_ts - START, r.share) for r in risks] == [(3 * 3600.0, 9 / 12), (11 * 3600.0, 1 / 12)]
    assert [r.risk_bps for r in risks] == pytest.approx([30.0, 40.0 / 12])
    longer = events_in_window([funding], symbol="BTCUSDT", start_ts=START, duration_s=24 * 3600.0,
                              n_slices=24)
    assert [r.event.at_ts - START for r in longer] == [3 * 3600.0, 11 * 3600.0, 19 * 3600.0]
    assert [r.share for r in longer] == [21 / 24, 13 / 24, 5 / 24]


def test_the_window_starts_when_the_caller_says():
    cpi = ScheduledEvent(at_ts=START + 1800.0, move_bps=150.0, name="CPI")
    later = pretrade_estimate(side="buy", quantity=1.0, horizon_s=3600, interval_s=30, market=_market(),
                              events=[cpi], start_ts=START + 2700.0)
    assert later.scheduled_events == ()


@pytest.mark.parametrize("kwargs, message", [
    ({"at_ts": math.nan, "move_bps": 10.0, "name": "x"}, "at_ts must be a finite number"),
    ({"at_ts": START, "move_bps": -1.0, "name": "x"}, r"move_bps must be within \[0, 5000\]"),
    ({"at_ts": START, "move_bps": 10.0, "name": " "}, "name must not be empty"),
    ({"at_ts": START, "move_bps": 10.0, "name": "x", "symbols": ("BTCUSDT", "")}, "symbols must be symbol names"),
    ({"at_ts": START, "move_bps": 10.0, "name": "x", "every_s": 0.0}, "every_s must be at least 60 s"),
])
def test_a_bad_event_is_refused_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScheduledEvent(**kwargs)


def test_bad_event_terms_are_refused():
    with pytest.raises(ValueError, match="event_moves_bps must hold numbers >= 0"):
        pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=60.0, n_slices=2, confidence=0.95, jumps=None,
                      volatility_dof=None, event_moves_bps=[-5.0])
    with pytest.raises(ValueError, match="events must be ScheduledEvent objects"):
        events_in_window([(START, 150.0)], symbol="BTCUSDT", start_ts=START, duration_s=60.0,  # type: ignore[list-item]
                         n_slices=2)
    with pytest.raises(ValueError, match="n_slices must be a whole number >= 1"):
        share_to_trade(10.0, 60.0, 0)
