from __future__ import annotations

import json

import numpy as np
import pytest

from execdesk.market.regimes import (
    FLAT,
    SCENARIOS,
    SESSION_VOLUME,
    CalendarEntry,
    Episode,
    FundingEvent,
    Jump,
    Scenario,
    resolve_scenarios,
    scenario_named,
)

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
REQUIRED = ("calm", "trend_up", "trend_down", "high_vol", "drought", "news_jump", "funding_event",
            "seasonality")


def test_the_suite_holds_the_control_and_every_required_regime() -> None:
    assert set(REQUIRED) <= set(SCENARIOS)
    assert all(name == s.name for name, s in SCENARIOS.items())


def test_calm_changes_nothing() -> None:
    mod = SCENARIOS["calm"].modulation(np.arange(-3600, 7201), START)

    assert not mod.drift.any() and not mod.spread_bps.any() and not mod.oi_drift.any()
    for knob in (mod.vol, mod.spread, mod.depth, mod.prints):
        assert np.array_equal(knob, np.ones_like(knob))


def test_every_scenario_documents_its_intraday_volume_profile() -> None:
    for scenario in SCENARIOS.values():
        assert "Volume profile" in scenario.description, scenario.name
        flat = scenario.volume_by_hour == FLAT
        assert flat == ("flat" in scenario.description), scenario.name


def test_all_resolves_to_every_scenario_in_order() -> None:
    assert resolve_scenarios("all") == list(SCENARIOS.values())
    assert resolve_scenarios(" ALL ") == list(SCENARIOS.values())


def test_a_comma_list_keeps_its_order_and_drops_repeats() -> None:
    chosen = resolve_scenarios("drought, calm,drought ,news_jump")

    assert [s.name for s in chosen] == ["drought", "calm", "news_jump"]


@pytest.mark.parametrize("spec", ["calm,crash", "crash"])
def test_an_unknown_scenario_is_named_and_the_valid_ones_listed(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown scenario crash") as error:
        resolve_scenarios(spec)

    assert all(name in str(error.value) for name in REQUIRED)


def test_an_empty_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="no scenario given"):
        resolve_scenarios(" , ")


def test_scenario_named_accepts_names_and_objects_and_refuses_unknown_names() -> None:
    drought = SCENARIOS["drought"]

    assert scenario_named("drought") is drought
    assert scenario_named(drought) is drought
    with pytest.raises(ValueError, match="unknown scenario 'storm'; valid: calm"):
        scenario_named("storm")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_scenario_survives_a_json_round_trip_to_the_bit(name: str) -> None:
    scenario = SCENARIOS[name]
    again = Scenario.from_dict(json.loads(json.dumps(scenario.to_dict())))
    k = np.arange(-3600, 3601)

    assert again == scenario and hash(again) == hash(scenario)
    for a, b in zip(again.modulation(k, START, 0.015), scenario.modulation(k, START, 0.015), strict=True):
        assert np.array_equal(a, b)


def test_episode_times_are_relative_to_the_scenario_start() -> None:
    drought = SCENARIOS["drought"]
    k = np.arange(0, 1801)

    for start_ts in (START, START + 12_345.6):
        depth = drought.modulation(k, start_ts).depth
        assert depth[0] == depth[299] == 1.0
        assert depth[420:1381] == pytest.approx(0.2)  # in full between the two 120 s ramps
        assert 0.2 < depth[360] < 1.0
        assert depth[1500] == depth[1800] == 1.0


def test_intraday_profiles_follow_the_utc_hour_and_keep_the_daily_mean() -> None:
    seasonality = SCENARIOS["seasonality"]
    day = np.arange(1, 86_401)

    prints = seasonality.modulation(day, START).prints  # START is midnight UTC
    hourly = prints.reshape(24, 3600).mean(axis=1)

    assert prints.mean() == pytest.approx(1.0)
    assert hourly / hourly[0] == pytest.approx(np.array(SESSION_VOLUME) / SESSION_VOLUME[0])
    assert hourly.argmax() in (14, 15) and hourly.argmin() == 5


def test_the_jump_lands_in_the_second_ending_at_its_offset() -> None:
    mod = SCENARIOS["news_jump"].modulation(np.arange(0, 1801), START, jump_return=-0.015)

    assert mod.drift[900] == pytest.approx(-0.015)
    assert np.count_nonzero(mod.drift) == 1
    assert mod.vol[901] == pytest.approx(4.0, rel=0.01) and mod.vol[900] == 1.0
    assert mod.vol[1200] == pytest.approx(1 + 3 * 0.5, rel=0.01)  # one half-life later
    assert mod.prints[901] > 4.5 * mod.prints[899]


def test_funding_climbs_to_the_peak_at_the_funding_time_and_relaxes() -> None:
    event = SCENARIOS["funding_event"].funding
    assert event is not None
    share = event.share(np.array([-6000.0, 0.0, 1200.0, 3000.0]))

    assert share[0] == 0.0
    assert share[1] == pytest.approx(6000 / 7200)
    assert share[2] == 1.0
    assert share[3] == pytest.approx(0.5)


def test_scheduled_scenarios_declare_when_and_how_much_but_not_which_way() -> None:
    (news,) = SCENARIOS["news_jump"].scheduled_events(START)
    # a jump uniform in [1 %, 2 %]: E[J^2] = (1 + 2 + 4) / 3 (%^2), RMS 1.5275 % = 152.75 bps
    assert news.at_ts == START + 900.0 and news.move_bps == pytest.approx(152.7525, rel=1e-6)
    (funding,) = SCENARIOS["funding_event"].scheduled_events(START)
    # the unwind: 80 bps an hour from 5 minutes before to 25 minutes after the funding time
    assert funding.at_ts == START + 1200.0 and funding.move_bps == pytest.approx(40.0)
    assert SCENARIOS["calm"].scheduled_events(START) == ()
    assert all(not e.symbols for e in (news, funding))  # the whole market moves


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Episode(100.0, 100.0), "end_s"),
        (lambda: Episode(0.0, 100.0, ramp_s=60.0), "ramp_s"),
        (lambda: Episode(0.0, 100.0, depth=0.0), "Episode.depth must be positive"),
        (lambda: Episode(0.0, float("inf")), "Episode.end_s must be a finite number"),
        (lambda: Episode(0.0, 100.0, spread_bps=-1.0), "spread_bps"),
        (lambda: Jump(at_s=10.0, size_min=0.03, size_max=0.02), "size_min <= size_max"),
        (lambda: FundingEvent(at_s=0.0, peak=0.02), "FundingEvent.peak"),
        (lambda: Scenario("Calm!", "x"), "Scenario.name"),
        (lambda: Scenario("quiet", ""), "description"),
        (lambda: Scenario("quiet", "x", volume_by_hour=(1.0,) * 23), "volume_by_hour must hold 24"),
        (lambda: Scenario("quiet", "x", depth_by_hour=(1.0,) * 23 + (0.0,)), r"depth_by_hour\[23\]"),
        (lambda: CalendarEntry(60.0, -5.0, "cpi"), "move_bps must be within"),
        (lambda: CalendarEntry(float("nan"), 5.0, "cpi"), "CalendarEntry.at_s must be a finite number"),
        (lambda: Scenario("quiet", "x", calendar=((60.0, 5.0),)), "calendar must hold CalendarEntry"),  # type: ignore[arg-type]
    ],
)
def test_invalid_knobs_are_refused_with_the_field_named(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
