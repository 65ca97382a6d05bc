"""`python -m tests.integration.pausing_worker <celery worker args>`: a real Celery worker that, inside every
paper send — under the child's row lock, just before the venue is called — prints a line and stalls, so a
test can SIGKILL it at the worst moment of a send. Nothing else about the worker differs."""

from __future__ import annotations

import os
import sys
import time

PAUSED = "PAUSED-IN-SEND"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")
    import django

    django.setup()
    from execdesk.venues.paper import PaperVenue

    place = PaperVenue.place

    def stalling_place(self, market, request, instrument, now):
        print(f"{PAUSED} {request.order_link_id}", flush=True)
        time.sleep(float(os.environ.get("EXECDESK_TEST_SEND_PAUSE", "60")))
        return place(self, market, request, instrument, now)

    PaperVenue.place = stalling_place  # type: ignore[method-assign]
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", "-A", "execdesk", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
