"""Admin: the audit trail and the desk's records, read-only for everyone; each page only for the roles that
may see that record (roles.may_see), the site itself only for roles.can_use_admin (admin_site/site.py).
The one record kept here is the calendar of scheduled market events: supervisors change it, through its
audited service."""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from execdesk.desk.access.roles import SUPERVISOR, can_use_admin, may_see, role_of
from execdesk.desk.models import (
    AuditEvent,
    ChildOrder,
    Fill,
    MarketState,
    ParentOrder,
    Proposal,
    ScheduledEvent,
)
from execdesk.desk.services.calendar import scheduled_event_delete, scheduled_event_save


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records change only through the desk's services, never through the admin."""

    def has_module_permission(self, request) -> bool:
        return can_use_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_use_admin(request.user) and may_see(request.user, self.model._meta.model_name)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "ts", "actor_label", "role", "action", "object_type", "object_id", "parent_order_id",
                    "order_review")
    list_filter = ("action", "role", "object_type")
    search_fields = ("actor_label", "action", "object_id")
    date_hierarchy = "ts"
    readonly_fields = ("id", "ts", "actor_label", "role", "action", "object_type", "object_id", "parent_order_id",
                       "order_review", "pretty_payload", "pretty_market", "prev_hash", "hash")
    exclude = ("actor", "payload", "market_ref")

    @admin.display(description="payload")
    def pretty_payload(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.display(description="market at that moment")
    def pretty_market(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.market_ref, indent=2, sort_keys=True))

    @admin.display(description="review")
    def order_review(self, obj: AuditEvent) -> str:
        if obj.parent_order_id is None:
            return "—"
        url = reverse("desk:review_order", args=[obj.parent_order_id])
        return format_html('<a href="{}#ev-{}">order #{} timeline</a>', url, obj.pk, obj.parent_order_id)


@admin.register(ParentOrder)
class ParentOrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "created_by", "symbol", "side", "quantity", "executed_qty", "status",
                    "strategy", "approval_mode", "decision_price", "avg_price", "is_bps")
    list_filter = ("status", "symbol", "side", "strategy", "approval_mode")


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ("id", "parent", "seq", "created_at", "advisor", "action", "quantity", "order_type",
                    "limit_price", "status", "decided_by", "risk_blocked", "is_fallback")
    list_filter = ("status", "advisor", "action", "risk_blocked", "is_fallback")
    exclude = ("market",)


@admin.register(ChildOrder)
class ChildOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_link_id", "parent", "created_at", "side", "order_type", "tif", "quantity", "price",
                    "status", "filled_qty", "avg_price")
    list_filter = ("status", "order_type", "venue")


@admin.register(Fill)
class FillAdmin(ReadOnlyAdmin):
    list_display = ("exec_id", "parent", "ts", "qty", "price", "fee", "fee_currency", "liquidity")
    list_filter = ("liquidity",)


@admin.register(MarketState)
class MarketStateAdmin(ReadOnlyAdmin):
    list_display = ("symbol", "updated_at")
    exclude = ("state",)


@admin.register(ScheduledEvent)
class ScheduledEventAdmin(ReadOnlyAdmin):
    """The calendar the pre-trade estimate reads: everyone with the admin reads it, supervisors keep it."""

    list_display = ("name", "at", "repeat_every_hours", "symbols_shown", "move_bps", "source", "updated_by",
                    "updated_at")
    list_filter = ("name",)
    search_fields = ("name", "symbols", "source")
    date_hierarchy = "at"
    fields = ("name", "at", "repeat_every_hours", "symbols", "move_bps", "source", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")

    @admin.display(description="symbols")
    def symbols_shown(self, obj: ScheduledEvent) -> str:
        return ", ".join(obj.symbol_list) or "every symbol"

    def _keeps_calendar(self, request) -> bool:
        return can_use_admin(request.user) and role_of(request.user) == SUPERVISOR

    def has_add_permission(self, request, obj=None) -> bool:
        return self._keeps_calendar(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._keeps_calendar(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._keeps_calendar(request)

    def save_model(self, request, obj, form, change) -> None:
        scheduled_event_save(user=request.user, event=obj)

    def delete_model(self, request, obj) -> None:
        scheduled_event_delete(user=request.user, event=obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            scheduled_event_delete(user=request.user, event=obj)
