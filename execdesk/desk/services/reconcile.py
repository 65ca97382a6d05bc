"""Reconciliation with Bybit: what the exchange holds is matched to our child orders by orderLinkId.

It runs when a worker starts (a worker that died may have left an order sent but unrecorded) and every
minute. Each difference is fixed and audited:

* a child we still show NEW that Bybit has: adopted (its status and fills recorded);
* a child NEW whose send started but that Bybit does not have after the grace period: it never reached
  Bybit; it ends CANCELLED and its quantity returns to the schedule;
* an open child whose status or fills differ from Bybit's: Bybit's record is applied (missed fills);
* an order on Bybit with an ExecDesk orderLinkId but no child order (a crash between the exchange's
  acceptance and our commit of a reprice, a restored database): an orphan, cancelled.

Orders on the account that ExecDesk did not place (no "ED" prefix) are never touched.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.models import ChildOrder
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.child_orders import child_finish_unsent
from execdesk.desk.services.live_orders import OPEN, live_report_apply
from execdesk.domain.orders import ChildStatus

log = logging.getLogger(__name__)

RECONCILE_ACTOR = Actor(label="system:reconciliation", role="system")
OUR_PREFIX = "ED"  # proposals.order_link_id: ED<parent>-<seq>-<digest>
RECENT = timedelta(hours=1)


def _link():
    from execdesk.desk.bybit import link as bybit_link

    return bybit_link


def venue_reconcile(*, trigger: str) -> dict:
    """Match Bybit's open orders and executions to our child orders; fix and audit every difference.
    Returns a summary (also audited when anything was fixed or failed)."""
    summary: dict = {"trigger": trigger, "checked": 0, "adopted": [], "fixed": [], "never_sent": [],
                     "orphans_cancelled": [], "errors": []}
    now = timezone.now()
    children = list(ChildOrder.objects.filter(venue="bybit").filter(
        Q(status__in=OPEN) | Q(updated_at__gte=now - RECENT)).exclude(
        status=ChildStatus.NEW, send_started_at__isnull=True))  # unsent: its submit task owns it
    if not children and not _link().bybit_status()[0]:
        return summary
    for child in children:
        summary["checked"] += 1
        try:
            _reconcile_child(child, now, summary)
        except Exception as exc:  # noqa: BLE001 - one order's failure must not stop the rest
            log.exception("reconciling %s failed", child.order_link_id)
            summary["errors"].append(f"{child.order_link_id}: {exc}")
    _cancel_orphans(summary, symbols={c.symbol for c in children})
    if summary["adopted"] or summary["fixed"] or summary["never_sent"] or summary["orphans_cancelled"] \
            or summary["errors"] or trigger == "worker start":
        with desk_atomic():
            audit_record(actor=RECONCILE_ACTOR, action="venue.reconciled", object_type="venue", object_id="bybit",
                         payload={"venue": "bybit", **summary})
    return summary


def _reconcile_child(child: ChildOrder, now, summary: dict) -> None:
    report = _link().bybit_venue(child.symbol).get(child.order_link_id)
    if report is None:
        grace = timedelta(seconds=settings.EXECDESK["BYBIT_UNSENT_GRACE_SECONDS"])
        if child.status == ChildStatus.NEW and child.send_started_at and now - child.send_started_at > grace:
            with desk_atomic():
                locked = ChildOrder.objects.select_for_update().get(pk=child.pk)
                if locked.status == ChildStatus.NEW:
                    reason = (f"Bybit has no order {locked.order_link_id} {grace.total_seconds():.0f} s after "
                              "sending started: it never reached Bybit")
                    audit_record(actor=RECONCILE_ACTOR, action="reconcile.never_sent", obj=locked,
                                 parent_order_id=locked.parent_id,
                                 payload={"order_link_id": locked.order_link_id, "reason": reason})
                    child_finish_unsent(locked, reason)
                    summary["never_sent"].append(locked.order_link_id)
        elif child.is_open and child.status != ChildStatus.NEW:
            summary["errors"].append(f"{child.order_link_id}: we show it {child.status} but Bybit does not list it")
        return
    recorded = set(child.fills.values_list("exec_id", flat=True))
    missing = [f.exec_id for f in report.fills if f.exec_id not in recorded]
    if child.status == ChildStatus.NEW:
        live_report_apply(report, child_id=child.pk, actor=RECONCILE_ACTOR, action="reconcile.adopted")
        summary["adopted"].append(child.order_link_id)
    elif missing or (child.is_open and report.status != child.status):
        live_report_apply(report, child_id=child.pk, actor=RECONCILE_ACTOR, action="reconcile.fixed")
        summary["fixed"].append({"order_link_id": child.order_link_id, "missed_fills": missing,
                                 "status": f"{child.status} -> {report.status}"})


def _cancel_orphans(summary: dict, *, symbols: set[str]) -> None:
    """Open Bybit orders with our prefix and no child order: cancel them."""
    try:
        venue = _link().link().venue
        for symbol in symbols:
            _link().bybit_instrument(symbol)  # open_orders() lists the symbols whose rules are loaded
        open_orders = venue.open_orders()
    except Exception as exc:  # noqa: BLE001
        summary["errors"].append(f"listing open orders on Bybit failed: {exc}")
        return
    ours = [r for r in open_orders if r.order_link_id.startswith(OUR_PREFIX)]
    known = set(ChildOrder.objects.filter(order_link_id__in=[r.order_link_id for r in ours])
                .values_list("order_link_id", flat=True))
    for report in ours:
        if report.order_link_id in known:
            continue
        try:
            venue.cancel(report.order_link_id)
        except Exception as exc:  # noqa: BLE001
            summary["errors"].append(f"cancelling orphan {report.order_link_id} failed: {exc}")
            continue
        summary["orphans_cancelled"].append(report.order_link_id)


def venue_cancel_all(*, reason: str) -> dict:
    """Desk halt: cancel every open ExecDesk order on Bybit, ours on record or orphaned."""
    summary: dict = {"cancelled": [], "errors": []}
    if not _link().bybit_status()[0]:
        return summary
    symbols = set(ChildOrder.objects.filter(venue="bybit").values_list("symbol", flat=True).distinct())
    try:
        for symbol in symbols:
            _link().bybit_instrument(symbol)
        venue = _link().link().venue
        open_orders = [r for r in venue.open_orders() if r.order_link_id.startswith(OUR_PREFIX)]
    except Exception as exc:  # noqa: BLE001
        summary["errors"].append(f"listing open orders on Bybit failed: {exc}")
        return summary
    for report in open_orders:
        try:
            result = venue.cancel(report.order_link_id)
        except Exception as exc:  # noqa: BLE001
            summary["errors"].append(f"cancelling {report.order_link_id} failed: {exc}")
            continue
        summary["cancelled"].append(report.order_link_id)
        if result is not None:
            live_report_apply(result)
    with desk_atomic():
        audit_record(actor=RECONCILE_ACTOR, action="venue.cancel_all", object_type="venue", object_id="bybit",
                     payload={"venue": "bybit", "reason": reason, **summary})
    return summary
