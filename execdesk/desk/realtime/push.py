"""The one sender to the dashboard: typed events to channel-layer groups, sent after commit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

DESK_GROUP = "desk"

EventType = Literal["progress", "proposal", "child", "fill", "market", "status", "error", "desk", "advisor"]


class DeskEvent(TypedDict):
    type: EventType
    order_id: int | None
    data: dict[str, Any]


def order_group(order_id: int) -> str:
    return f"order.{order_id}"


def market_group(symbol: str, venue: str = "paper") -> str:
    """The simulated market keeps the plain name; a live venue's market of the same symbol is another group."""
    return f"market.{symbol}" if venue == "paper" else f"market.{venue}.{symbol}"


_batch = threading.local()


def push(groups: list[str], event: DeskEvent) -> None:
    """Queue the event for after the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _deliver(groups, event))


def _deliver(groups: list[str], event: DeskEvent) -> None:
    events = getattr(_batch, "events", None)
    if events is None:
        _send(groups, event)
    else:
        events.append((groups, event))


@contextmanager
def push_batch() -> Iterator[None]:
    """Events committed inside are sent together at the end, in one event-loop hop: a halt settles dozens
    of orders and each hop costs milliseconds. Commit semantics are unchanged (rolled-back events vanish)."""
    if getattr(_batch, "events", None) is not None:
        yield  # already batching
        return
    _batch.events = []
    try:
        yield
    finally:
        events, _batch.events = _batch.events, None
        layer = get_channel_layer()
        if events and layer is not None:
            async_to_sync(_send_events)(layer, events)


def push_order(order_id: int, type_: EventType, data: dict[str, Any]) -> None:
    push([order_group(order_id), DESK_GROUP], DeskEvent(type=type_, order_id=order_id, data=data))


def push_desk(data: dict[str, Any], *, markets: list[tuple[str, str]] | None = None) -> None:
    """A desk-wide event (the trading state): to the overview's group, which every page without an order
    socket joins, and to the given markets' groups (symbol, venue), which every order page's socket joins
    — a finished order's page too. A handful of groups, however many orders the desk has."""
    groups = [DESK_GROUP] + [market_group(symbol, venue) for symbol, venue in markets or []]
    event = DeskEvent(type="desk", order_id=None, data=data)
    # Sent the moment the change commits, ahead of any push_batch (a halt's batch waits for every order's
    # pushes, and in eager mode for its cancel tasks): the banner must not wait for the orders.
    transaction.on_commit(lambda: _send(groups, event))


def push_market(symbol: str, data: dict[str, Any], *, venue: str = "paper") -> None:
    push([market_group(symbol, venue)], DeskEvent(type="market", order_id=None, data=data))


def _send(groups: list[str], event: DeskEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(_send_all)(layer, groups, event)  # one event-loop hop per event, not one per group


async def _send_events(layer, events: list[tuple[list[str], DeskEvent]]) -> None:
    for groups, event in events:
        await _send_all(layer, groups, event)


async def _send_all(layer, groups: list[str], event: DeskEvent) -> None:
    for group in groups:
        try:
            await layer.group_send(group, {"type": "desk.event", "event": event})
        except Exception:  # a full or unreachable layer must never fail the trade that caused the push
            log.exception("push to %s failed", group)
