"""`manage.py bybit_feed --symbol BTCUSDT` — distributed mode's market-data process for one symbol (or
several), and with `--private` the account's fills and order updates.

It keeps Bybit's public WebSocket feed (`orderbook.50`, `publicTrade`, `tickers`) as a MarketSnapshot and
publishes each one to Redis, where every worker reads it, and to the dashboards' market group; every public
print it receives goes to a Redis list that the desk's tick empties into its orders' prints. With
`--private` it also runs the private `execution`/`order` streams and records fills through the same
services as the workers. It runs until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.bybit.streams import private_stream_start


class Command(BaseCommand):
    help = "Run Bybit's public feed for the given symbols (and, with --private, the account's fill stream)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--symbol", action="append", default=[], help="symbol to follow (repeatable)")
        parser.add_argument("--private", action="store_true", help="also run the private execution/order stream")
        parser.add_argument("--status-every", type=float, default=30.0, help="seconds between status lines")

    def handle(self, *args, **options) -> None:
        symbols = [s.strip().upper() for s in options["symbol"] if s.strip()]
        if not symbols and not options["private"]:
            raise CommandError("name at least one --symbol, or --private for the fill stream")
        if settings.EMBEDDED:
            raise CommandError("bybit_feed is distributed mode's feed process (EXECDESK_DATABASE_URL and "
                               "EXECDESK_REDIS_URL set); in embedded mode the desk runs the feed itself")
        try:
            current = bybit_link.link()
            for symbol in symbols:
                bybit_link.bybit_instrument(symbol)  # an unknown symbol fails here, by name
        except (bybit_link.BybitUnavailable, Exception) as exc:
            raise CommandError(f"cannot start the Bybit feed: {exc}") from None

        from execdesk.market.bybit_feed import BybitPublicFeed

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        feed = None
        if symbols:
            feed = BybitPublicFeed(current.config, category=bybit_link.bybit_category(), symbols=symbols,
                                   http=current.market_data.http, on_snapshot=bybit_link.snapshot_publish,
                                   on_prints=bybit_link.prints_publish,
                                   stale_after_s=settings.EXECDESK["BYBIT_STALE_SECONDS"])
            feed.start()
        stream = pump = None
        if options["private"]:
            stream, pump = private_stream_start(current.config, category=bybit_link.bybit_category())
        self.stdout.write(f"bybit_feed: {current.config.environment_banner()}; symbols {', '.join(symbols) or '-'}"
                          f"{'; private stream' if stream else ''}")
        last_status = time.monotonic()
        try:
            # Every second each symbol's snapshot is published again even when the book did not move, so the
            # workers can tell a quiet market from a dead feed process (the store marks silence stale).
            while not stop.wait(1.0):
                for symbol in symbols:
                    snapshot = feed.snapshot(symbol) if feed else None
                    if snapshot is not None:
                        bybit_link.snapshot_publish(snapshot)
                if time.monotonic() - last_status < options["status_every"]:
                    continue
                last_status = time.monotonic()
                parts = []
                for symbol in symbols:
                    reason = feed.stale_reason(symbol) if feed else ""
                    parts.append(f"{symbol} {'STALE: ' + reason if reason else 'live'}, "
                                 f"{current.prints.pending(symbol)} prints waiting for the desk's tick")
                if stream is not None and pump is not None:
                    parts.append(f"private {'connected' if stream.connected else 'DOWN (REST polling covers)'}"
                                 f", {pump.applied} applied, {pump.errors} errors")
                self.stdout.write(f"{time.strftime('%H:%M:%S')} " + "; ".join(parts))
        finally:
            if feed is not None:
                feed.stop()
            if stream is not None and pump is not None:
                stream.stop()
                pump.stop()
