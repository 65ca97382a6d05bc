"""The desk's calendar of scheduled market events: supervisors keep it in the admin (audited), and the
pre-trade estimate made at an order's creation widens its band by the events inside the order's window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ScheduledEvent
from execdesk.desk.services.calendar import scheduled_event_delete, scheduled_event_save
from execdesk.desk.services.errors import InvalidInput

pytestmark = pytest.mark.django_db

CALENDAR_PAGE = "/admin/desk/scheduledevent/"


def _event(bob, *, in_s: float, move: str = "150", symbols: str = "", name: str = "US CPI") -> ScheduledEvent:
    return scheduled_event_save(user=bob, event=ScheduledEvent(
        name=name, at=timezone.now() + timedelta(seconds=in_s), symbols=symbols, move_bps=Decimal(move),
        source="BTC 15-min moves on the last 12 CPI releases"))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_event_inside_the_order_widens_its_band_and_the_panel_says_so(bob, alice, make_order):
    plain = make_order(start=False, horizon=1800, interval=30).pretrade
    cpi = _event(bob, in_s=900.0)
    pt = make_order(start=False, horizon=1800, interval=30).pretrade
    (event,) = pt["scheduled_events"]
    assert event["name"] == "US CPI" and event["move_bps"] == 150.0 and 0.45 <= event["share"] <= 0.5
    assert pt["event_risk_bps"] == pytest.approx(150.0 * event["share"], rel=1e-3)
    assert pt["event_widening_bps"] > 0
    assert pt["high_bps"] - pt["expected_cost_bps"] > plain["high_bps"] - plain["expected_cost_bps"] + 50
    assert pt["scheduled_line"].startswith(f"scheduled: US CPI at {cpi.at:%H:%M} UTC, typical ±150 bps")
    assert pt["scheduled_line"].endswith(f"band widened by {pt['event_widening_bps']:.1f} bps")
    created = AuditEvent.objects.filter(action="parent.created").latest("id")
    assert created.payload["pretrade"]["scheduled_line"] == pt["scheduled_line"]
    page = _client(alice).get(f"/orders/{created.parent_order_id}/").content.decode()
    assert 'id="pretrade-scheduled"' in page and "band widened by" in page


def test_events_after_the_order_before_it_or_for_another_symbol_change_nothing(bob, make_order):
    plain = make_order(start=False, horizon=1800, interval=30).pretrade
    _event(bob, in_s=3 * 3600.0, name="FOMC")
    _event(bob, in_s=600.0, symbols="ETHUSDT, SOLUSDT", name="unlock")
    pt = make_order(start=False, horizon=1800, interval=30).pretrade
    assert pt["scheduled_events"] == [] and pt["scheduled_line"] == "" and pt["event_widening_bps"] == 0
    assert pt["high_bps"] - pt["expected_cost_bps"] == pytest.approx(plain["high_bps"] - plain["expected_cost_bps"],
                                                                    rel=0.05)  # the market moved between the two


def test_a_recurring_event_first_set_in_the_past_still_counts(bob, make_order):
    scheduled_event_save(user=bob, event=ScheduledEvent(
        name="funding", at=timezone.now() - timedelta(hours=8) + timedelta(seconds=900), repeat_every_hours=8,
        move_bps=Decimal("40"), source="BTC moves around the last 90 funding times"))
    pt = make_order(start=False, horizon=1800, interval=30).pretrade
    (event,) = pt["scheduled_events"]
    assert event["name"] == "funding" and event["every_s"] == 8 * 3600.0 and 0.45 <= event["share"] <= 0.5


def test_only_a_supervisor_changes_the_calendar_and_every_change_is_audited(bob, alice):
    with pytest.raises(PermissionDenied):
        _event(alice, in_s=600.0)
    cpi = _event(bob, in_s=600.0)
    created = AuditEvent.objects.get(action="calendar.event_created")
    assert created.actor_label == "bob" and created.payload["move_bps"] == 150.0
    cpi.move_bps = Decimal("120")
    scheduled_event_save(user=bob, event=cpi)
    assert AuditEvent.objects.get(action="calendar.event_changed").payload["move_bps"] == 120.0
    scheduled_event_delete(user=bob, event=cpi)
    assert AuditEvent.objects.get(action="calendar.event_deleted").payload["name"] == "US CPI"
    assert not ScheduledEvent.objects.exists()


def test_a_bad_entry_is_refused_naming_the_field(bob):
    with pytest.raises(InvalidInput, match="move_bps"):
        _event(bob, in_s=600.0, move="-5")
    with pytest.raises(InvalidInput, match="source"):
        scheduled_event_save(user=bob, event=ScheduledEvent(name="CPI", at=timezone.now(), move_bps=Decimal("100")))
    assert not ScheduledEvent.objects.exists()


def test_supervisors_keep_the_calendar_in_the_admin_and_auditors_read_it(bob, charlie):
    at = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    form = {"name": "FOMC", "at_0": at.strftime("%Y-%m-%d"), "at_1": at.strftime("%H:%M:%S"),
            "symbols": "btcusdt", "move_bps": "200", "source": "BTC moves on the last 8 FOMC decisions"}
    added = _client(bob).post(f"{CALENDAR_PAGE}add/", form)
    assert added.status_code == 302, added.content.decode()[:2000]
    event = ScheduledEvent.objects.get()
    assert event.symbol_list == ("BTCUSDT",) and event.updated_by == "bob"
    assert AuditEvent.objects.filter(action="calendar.event_created", actor_label="bob").exists()
    auditor = _client(charlie)
    assert b"FOMC" in auditor.get(CALENDAR_PAGE).content
    assert auditor.post(f"{CALENDAR_PAGE}add/", {**form, "name": "CPI"}).status_code == 403
    assert ScheduledEvent.objects.count() == 1
