"""Time what the desk's tick does with Bybit's public prints: take the print buffer and keep the prints of
the working orders' windows as MarketPrint rows, once each by trade id (services/market_prints.py), for N
prints between two ticks; each print is delivered twice (the second tick finds them all kept).

    .venv/bin/python bench/bybit_prints.py --prints 100,1000,10000 --rounds 5

Embedded SQLite by default; with EXECDESK_DATABASE_URL and EXECDESK_REDIS_URL set, PostgreSQL and the
Redis print buffer (the distributed desk's path).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prints", default="100,1000,10000", help="prints between two ticks (comma list)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("EXECDESK_DATA_DIR", tempfile.mkdtemp(prefix="execdesk-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")
    import django

    django.setup()
    import uuid

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from execdesk.desk.access.setup_roles import ensure_roles
    from execdesk.desk.models import MarketPrint, ParentOrder
    from execdesk.desk.services.atomic import desk_atomic
    from execdesk.desk.services.market_prints import market_evidence_record
    from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
    from execdesk.domain.market import Trade
    from execdesk.market.print_buffer import LocalPrintBuffer, RedisPrintBuffer

    call_command("migrate", verbosity=0)
    ensure_roles()
    user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}", password="bench-pass-123")
    user.groups.add(Group.objects.get(name="trader"))
    parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=3600,
                                 interval_seconds=10, venue="paper")
    parent_order_start(parent_id=parent.pk, user=user)
    ParentOrder.objects.filter(pk=parent.pk).update(venue="bybit")  # a working Bybit order's window
    if settings.EMBEDDED or not settings.REDIS_URL:
        buffer, where = LocalPrintBuffer(), "embedded SQLite, in-memory buffer"
    else:
        import redis

        from execdesk.env import redis_db_url

        client = redis.Redis.from_url(redis_db_url(settings.REDIS_URL, 4))
        buffer, where = RedisPrintBuffer(client, namespace=f"bench-{uuid.uuid4().hex}"), "PostgreSQL, Redis buffer"
    print(f"{where}; one working order; {args.rounds} rounds each")
    print("| prints between two ticks | tick keeping them (p50) | tick with them all kept already (p50) |")
    print("| --- | --- | --- |")
    for n in [int(x) for x in args.prints.split(",")]:
        kept, again = [], []
        for _ in range(args.rounds):
            MarketPrint.objects.filter(venue="bybit").delete()
            t0 = time.time()
            trades = [Trade(t0 + i / 1e5, 65_000.0 + (i % 50) / 10, 0.001 * (1 + i % 7),
                            "buy" if i % 2 else "sell", uuid.uuid4().hex) for i in range(n)]
            for times in (kept, again):  # the first delivery, then the same prints again
                buffer.add("BTCUSDT", trades)
                start = time.perf_counter()
                with desk_atomic():
                    market_evidence_record("bybit", "BTCUSDT", buffer.take("BTCUSDT"), now=time.time(), market=None)
                times.append(time.perf_counter() - start)
            assert MarketPrint.objects.filter(venue="bybit").count() == n, "each print kept once"
        print(f"| {n:,} | {statistics.median(kept) * 1e3:.1f} ms | {statistics.median(again) * 1e3:.1f} ms |")


if __name__ == "__main__":
    main()
