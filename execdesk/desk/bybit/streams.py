"""Bybit's WebSocket streams wired to the desk: the public feed's snapshots go to the snapshot store and the
dashboards, the private stream's fills and order updates go to the live-order services.

pybit runs callbacks on its socket thread, where an exception or a slow call hurts the connection, so the
private stream only queues what it receives; a pump thread of ours applies it through the services (each
in its own short transaction). When the private stream (re)connects, the pump polls every open order over
REST: Bybit does not replay what it pushed while we were away.
"""

from __future__ import annotations

import logging
import queue
import threading

from django.db import close_old_connections

from execdesk.domain.orders import FillReport, OrderReport

log = logging.getLogger(__name__)

_STOP = object()


class StreamPump:
    """A queue between pybit's socket thread and the desk's services."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.applied = 0
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name="bybit-stream-pump", daemon=True)

    def start(self) -> StreamPump:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self.queue.put(_STOP)
        self._thread.join(timeout_s)

    # callbacks for BybitPrivateStream: quick and never raising
    def on_fill(self, fill: FillReport) -> None:
        self.queue.put(("fill", fill))

    def on_order(self, update) -> None:
        self.queue.put(("order", update))

    def on_connection_change(self, connected: bool) -> None:
        if connected:
            self.queue.put(("catch_up", None))

    def _run(self) -> None:
        from execdesk.desk.services.live_orders import live_fill_arrived, live_order_update, live_poll_due

        while True:
            item = self.queue.get()
            if item is _STOP:
                close_old_connections()
                return
            kind, payload = item
            try:
                close_old_connections()
                if kind == "fill":
                    live_fill_arrived(payload)
                elif kind == "order":
                    live_order_update(OrderReport(
                        order_link_id=payload.order_link_id, venue_order_id=payload.venue_order_id,
                        status=payload.status, filled_qty=payload.filled_qty, avg_price=payload.avg_price,
                        fills=(), reject_reason=payload.reject_reason))
                else:
                    live_poll_due(force=True)
                self.applied += 1
            except Exception:  # noqa: BLE001 - one bad message must not stop the pump; polling catches up
                self.errors += 1
                log.exception("applying a Bybit stream %s failed", kind)
            finally:
                self.queue.task_done()


def private_stream_start(config, *, category: str):
    """Start the private stream and its pump; returns (stream, pump). The stream keeps reconnecting in the
    background if Bybit is not reachable yet (REST polling covers the gap)."""
    from execdesk.venues.bybit_stream import BybitPrivateStream

    pump = StreamPump().start()
    stream = BybitPrivateStream(config, categories=(category,), on_fill=pump.on_fill, on_order=pump.on_order,
                                on_connection_change=pump.on_connection_change)
    try:
        stream.start(timeout_s=5.0)
    except Exception:
        pump.stop()
        raise
    return stream, pump
