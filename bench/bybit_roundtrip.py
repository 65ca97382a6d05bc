"""Time the desk's two Bybit round trips against the loopback Bybit servers (REST and WebSocket):

1. approve → acknowledged: `proposal_approve(...)` until the child order holds Bybit's answer (status no longer
   "new", venue order id set), Celery tasks inline as the embedded worker would run them;
2. fill → dashboard push: a print through a resting child limit order on the loopback Bybit until the order's
   channel-layer group `order.<id>` receives the `fill` event, through the private WebSocket stream
   (BybitPrivateStream → StreamPump → live services → push) and, separately, through one REST poll
   (`live_poll_due(force=True)` right after the print).

    .venv/bin/python bench/bybit_roundtrip.py --n 200 [--json FILE]

Assumptions, printed with the figures: everything runs on loopback in one process (desk, both servers, the
receiver), embedded mode (throwaway SQLite in a temp EXECDESK_DATA_DIR, in-memory channel layer), a 2-core
machine. The loopback WebSocket server holds every reply and push for `--ws-delay` (20 ms by default, as a
real network would; pybit needs it), which the stream path carries in full. The public feed is not run
(EXECDESK_BYBIT_FEED_IN_PROCESS=0), so every approval re-reads the market over REST for the risk re-check.
Each sample is the first child order of its own parent order, so the risk gate's minimum gap between orders
and the proposal cadence never make a sample wait; order-placing calls are paced below Bybit's 10/s linear
order budget so the client-side rate limiter never waits either.

The loopback REST server (http.server) writes the response headers and the body in two send() calls; with
Nagle's algorithm on, the body waits for the client's delayed ACK (~40 ms on Linux) on every request. That
is an artefact of the test server, not of the desk or of Bybit, so the server turns Nagle off on its sockets
(`disable_nagle_algorithm`, a socketserver knob); `--nagle` turns it back on to show the artefact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SYMBOL = "BTCUSDT"
ORDER_GAP_S = 0.11  # Bybit allows 10 order requests/s on linear; stay below so the limiter never waits
PUSH_TIMEOUT_S = 5.0


# --------------------------------------------------------------------------------------------- figures


def summary(ms: list[float]) -> dict[str, float | int | None]:
    """n, mean, p50, p99 and max of a list of milliseconds (p99 by linear interpolation)."""
    if not ms:
        return {"n": 0, "mean": None, "p50": None, "p99": None, "max": None}
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1 else ms[0]
    return {"n": len(ms), "mean": round(statistics.fmean(ms), 3), "p50": round(statistics.median(ms), 3),
            "p99": round(p99, 3), "max": round(max(ms), 3)}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


# ----------------------------------------------------------------------------------- dashboard receiver


class PushReceiver:
    """What a dashboard consumer sees: one channel on the desk's channel layer, receiving on its own event loop
    in its own thread (as Daphne's loop would), stamping each event with perf_counter() on arrival."""

    def __init__(self) -> None:
        from channels.layers import get_channel_layer

        self.layer = get_channel_layer()
        self.loop = asyncio.new_event_loop()
        self.channel = ""
        self.events: list[tuple[float, dict[str, Any]]] = []
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push-receiver", daemon=True)

    def start(self) -> PushReceiver:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the push receiver did not start within 5 s")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._receive_forever())
        except asyncio.CancelledError:
            pass

    async def _receive_forever(self) -> None:
        self.channel = await self.layer.new_channel()
        self._ready.set()
        while True:
            message = await self.layer.receive(self.channel)
            arrived = time.perf_counter()
            with self._cond:
                self.events.append((arrived, message.get("event") or {}))
                self._cond.notify_all()

    def _call(self, coro) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def join(self, group: str) -> None:
        self._call(self.layer.group_add(group, self.channel))

    def leave(self, group: str) -> None:
        self._call(self.layer.group_discard(group, self.channel))

    def wait_for(self, match: Callable[[dict[str, Any]], bool], *, after: float,
                 timeout_s: float = PUSH_TIMEOUT_S) -> float | None:
        """Arrival time of the first matching event received after `after`, or None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for arrived, event in self.events:
                    if arrived >= after and match(event):
                        return arrived
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def forget(self) -> None:
        with self._cond:
            self.events.clear()

    def stop(self) -> None:
        for task in asyncio.all_tasks(self.loop):
            self.loop.call_soon_threadsafe(task.cancel)
        self._thread.join(5)


# ----------------------------------------------------------------------------------------------- bench


def _fill_of(order_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event.get("type") == "fill" and event.get("order_id") == order_id


class Bench:
    def __init__(self, args: argparse.Namespace, rest, ws, user) -> None:
        from execdesk.desk.bybit import link as bybit_link

        self.args, self.rest, self.ws, self.user = args, rest, ws, user
        self.link = bybit_link
        self._last_order = 0.0
        self.receiver = PushReceiver().start()
        self.stream = self.pump = None
        self.stream_seen: dict[str, float] = {}  # order_link_id -> first fill/order update with a fill
        self.order_seen: set[str] = set()  # order_link_ids the order stream reported at all

    # ---- helpers -----------------------------------------------------------------------------------
    def _pace(self) -> None:
        wait = self._last_order + ORDER_GAP_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_order = time.monotonic()

    def _started_parent(self):
        """A fresh parent order on Bybit, started; starting it runs the first execution step (eagerly), which
        leaves the first proposal pending."""
        from execdesk.desk.models import Proposal
        from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

        parent = parent_order_create(user=self.user, symbol=SYMBOL, side="buy", quantity="0.5",
                                     horizon_seconds=600, interval_seconds=10, venue="bybit")
        parent_order_start(parent_id=parent.pk, user=self.user)
        proposal = Proposal.objects.filter(parent=parent, status="pending").first()
        if proposal is None or proposal.risk_blocked or not proposal.order_type:
            raise SystemExit(f"order {parent.pk}: the first proposal is not an order the gate lets through: "
                             f"{proposal and (proposal.action, proposal.risk_checks)}")
        return parent, proposal

    def _resting_child(self):
        """A parent order whose first child rests at the bid on Bybit (the proposal overridden to a GTC limit)."""
        from execdesk.desk.models import ChildOrder
        from execdesk.desk.services.proposals import proposal_override

        parent, proposal = self._started_parent()
        self.receiver.join(f"order.{parent.pk}")
        bid = self.rest.venue.books[("linear", SYMBOL)].best_bid()
        self._pace()
        proposal_override(proposal_id=proposal.pk, user=self.user, quantity=str(proposal.quantity),
                          order_type="limit", limit_price=str(bid), tif="GTC", reason="bench: rest at the bid")
        child = ChildOrder.objects.get(proposal=proposal)
        if child.status != "submitted":
            raise SystemExit(f"child {child.order_link_id} should rest at {bid}, it is {child.status} "
                             f"{child.reject_reason}")
        return parent, child, bid

    # ---- 1. approve -> acknowledged ------------------------------------------------------------------
    def approve_sample(self) -> tuple[float, str, int]:
        """(ms, the child's status, REST requests the approval made). The stream runs, as on a live desk; the
        pump is idle at the start so the previous sample's stream messages do not land in this one."""
        from execdesk.desk.models import ChildOrder
        from execdesk.desk.services.proposals import proposal_approve

        _, proposal = self._started_parent()
        self._pace()
        self._wait_pump_idle()
        before = len(self.rest.requests)
        t0 = time.perf_counter()
        proposal_approve(proposal_id=proposal.pk, user=self.user)
        child = ChildOrder.objects.only("status", "venue_order_id", "order_link_id").get(proposal=proposal)
        t1 = time.perf_counter()
        if child.status == "new" or not child.venue_order_id:
            raise SystemExit(f"child {child.order_link_id} was not acknowledged when approve returned: "
                             f"{child.status}, venue order id {child.venue_order_id!r}")
        return (t1 - t0) * 1000, child.status, len(self.rest.requests) - before

    # ---- 2a. fill -> push through one REST poll -------------------------------------------------------
    def poll_sample(self) -> float | None:
        from execdesk.desk.services.live_orders import live_poll_due

        parent, child, bid = self._resting_child()
        t0 = time.perf_counter()
        self.rest.trade_through(SYMBOL, str(bid), str(child.quantity * 10))
        live_poll_due(force=True)
        arrived = self.receiver.wait_for(_fill_of(parent.pk), after=t0)
        self.receiver.leave(f"order.{parent.pk}")
        return None if arrived is None else (arrived - t0) * 1000

    # ---- 2b. fill -> push through the private stream ---------------------------------------------------
    def stream_start(self) -> None:
        from execdesk.desk.bybit.streams import private_stream_start

        self.stream, self.pump = private_stream_start(self.link.bybit_config(), category="linear")
        if not self.stream.connected:
            raise SystemExit(f"the private stream did not connect to {self.ws.url}: {self.stream.last_error}")
        on_fill, on_order = self.stream.on_fill, self.stream.on_order

        # Stamp when each message leaves pybit's socket thread for the pump (the split of the path).
        def fill_seen(fill) -> None:
            self.stream_seen.setdefault(fill.order_link_id, time.perf_counter())
            on_fill(fill)

        def order_seen(update) -> None:
            self.order_seen.add(update.order_link_id)
            if update.filled_qty > 0:
                self.stream_seen.setdefault(update.order_link_id, time.perf_counter())
            on_order(update)

        self.stream.on_fill, self.stream.on_order = fill_seen, order_seen

    def stream_stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.pump.stop()

    def _wait_pump_idle(self, link: str | None = None) -> None:
        """The pump has applied everything queued (and, given `link`, the stream has reported that order)."""
        if self.pump is None:
            return
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if (link is None or link in self.order_seen) and self.pump.queue.unfinished_tasks == 0:
                return
            time.sleep(0.002)
        raise SystemExit(f"the private stream's pump is still busy after 3 s (order {link})")

    def stream_sample(self) -> tuple[float, float] | None:
        parent, child, bid = self._resting_child()
        self._wait_pump_idle(child.order_link_id)
        t0 = time.perf_counter()
        self.rest.trade_through(SYMBOL, str(bid), str(child.quantity * 10))
        arrived = self.receiver.wait_for(_fill_of(parent.pk), after=t0)
        self.receiver.leave(f"order.{parent.pk}")
        seen = self.stream_seen.get(child.order_link_id)
        if arrived is None or seen is None:
            return None
        return (arrived - t0) * 1000, (seen - t0) * 1000

    def close(self) -> None:
        self.stream_stop()
        self.receiver.stop()


# ------------------------------------------------------------------------------------------------ main


def _sampled(progress, label: str, n: int, warmup: int, sample: Callable[[], Any]) -> tuple[list[Any], int]:
    """Run `warmup` unrecorded samples, then `n` recorded ones; returns (results, timeouts)."""
    task = progress.add_task(label, total=warmup + n)
    results, timeouts = [], 0
    for i in range(warmup + n):
        result = sample()
        if i >= warmup:
            if result is None:
                timeouts += 1
            else:
                results.append(result)
        progress.advance(task)
    return results, timeouts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="samples per measurement (default 200)")
    parser.add_argument("--warmup", type=int, default=3, help="unrecorded samples first (default 3)")
    parser.add_argument("--ws-delay", type=float, default=0.02,
                        help="the loopback WebSocket server's reply/push delay in seconds (default 0.02)")
    parser.add_argument("--nagle", action="store_true",
                        help="turn Nagle's algorithm back on in the loopback REST server (shows the ~40 ms artefact)")
    parser.add_argument("--skip-poll", action="store_true", help="leave out the REST polling path")
    parser.add_argument("--json", metavar="FILE", help="write the figures (and raw samples) to FILE")
    args = parser.parse_args()
    if args.n < 1 or args.warmup < 0:
        parser.error(f"--n must be >= 1 and --warmup >= 0, got {args.n} and {args.warmup}")
    if not 0 <= args.ws_delay <= 1:
        parser.error(f"--ws-delay must be between 0 and 1 second, got {args.ws_delay}")

    from loopback_desk import desk_on_loopback_bybit

    from tests.loopback import bybit_server
    from tests.loopback.bybit_server import BybitLoopbackServer
    from tests.loopback.bybit_ws import BybitWsLoopbackServer

    # the loopback server turns Nagle off itself; --nagle turns it back on to show the artefact
    bybit_server._BybitHandler.disable_nagle_algorithm = not args.nagle
    rest = BybitLoopbackServer().start()
    ws = BybitWsLoopbackServer(venue=rest.venue, api_keys=rest.api_keys, delay_s=args.ws_delay).start()

    data_dir = desk_on_loopback_bybit(rest, prefix="execdesk-bench-bybit-", ws_url=ws.url)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from execdesk.celery import app
    from execdesk.desk.access.setup_roles import ensure_roles

    console = Console()
    if not settings.EMBEDDED:
        raise SystemExit("the bench needs embedded mode (in-memory channel layer), not a database URL")
    app.conf.task_always_eager = True  # child orders are submitted inline, as the embedded worker would
    app.conf.task_eager_propagates = True
    call_command("migrate", verbosity=0)
    ensure_roles()
    user = get_user_model().objects.create_user("alice", password="alice-bench-pw-123!")
    user.groups.add(Group.objects.get(name="trader"))

    bench = Bench(args, rest, ws, user)
    results: dict[str, Any] = {}
    raw: dict[str, list[float]] = {}
    timeouts: dict[str, int] = {}
    started = time.time()
    load_before = os.getloadavg()
    try:
        columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            if not args.skip_poll:  # before the stream starts: the poll is then the only path
                raw["fill_to_push_poll"], timeouts["fill_to_push_poll"] = _sampled(
                    progress, "fill → push (REST poll)", args.n, args.warmup, bench.poll_sample)
            bench.stream_start()
            approvals, _ = _sampled(progress, "approve → acknowledged", args.n, args.warmup, bench.approve_sample)
            raw["approve_to_ack"] = [ms for ms, _, _ in approvals]
            statuses = sorted({status for _, status, _ in approvals})
            requests_per_approval = sorted({count for _, _, count in approvals})
            streamed, timeouts["fill_to_push_stream"] = _sampled(
                progress, "fill → push (private WS)", args.n, args.warmup, bench.stream_sample)
            raw["fill_to_push_stream"] = [total for total, _ in streamed]
            raw["fill_to_stream_callback"] = [seen for _, seen in streamed]
            raw["stream_callback_to_push"] = [total - seen for total, seen in streamed]
            pump_errors = bench.pump.errors
    finally:
        bench.close()
        ws.stop()
        rest.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    labels = {
        "approve_to_ack": "approve → order acknowledged",
        "fill_to_push_stream": "fill → push, private WS stream",
        "fill_to_stream_callback": "  of which: fill → stream callback",
        "stream_callback_to_push": "  of which: callback → push",
        "fill_to_push_poll": "fill → push, one REST poll",
    }
    table = Table(title=f"Bybit round trip on loopback, n={args.n} (ms)")
    for column in ("measure", "n", "mean", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, label in labels.items():
        if key not in raw:
            continue
        figures = summary(raw[key])
        results[key] = figures
        table.add_row(label, str(figures["n"]), *(f"{figures[k]:.1f}" if figures[k] is not None else "-"
                                                  for k in ("mean", "p50", "p99", "max")))
    console.print(table)
    setup = {"ws_reply_delay_ms": args.ws_delay * 1000, "rest_server_nagle": args.nagle, "warmup": args.warmup,
             "order_gap_s": ORDER_GAP_S, "feed_in_process": False, "approved_child_statuses": statuses,
             "rest_requests_per_approval": requests_per_approval,
             "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
             "timeouts": timeouts, "pump_errors": pump_errors, "wall_s": round(time.time() - started, 1),
             "machine": machine()}
    console.print(f"loopback WS reply delay {setup['ws_reply_delay_ms']:.0f} ms (in the stream path); "
                  f"REST server Nagle {'on' if args.nagle else 'off'}; public feed not running (approvals read the "
                  f"market over REST, {'/'.join(map(str, requests_per_approval))} REST requests per approval); approved "
                  f"children ended {', '.join(statuses)}; timeouts {timeouts}; pump errors {pump_errors}; "
                  f"{setup['machine']['cpus']} CPUs, 1-min load {setup['load_average_1m'][0]} → "
                  f"{setup['load_average_1m'][1]}; wall {setup['wall_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": " ".join([os.path.relpath(sys.executable)] + sys.argv),
                                               "setup": setup, "figures": results, "samples_ms": raw}, indent=2))
        console.print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
