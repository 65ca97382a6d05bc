"""Shared set-up of the Bybit benches: an embedded desk (throwaway SQLite) pointed at the loopback Bybit."""

from __future__ import annotations

import os
import tempfile


def desk_on_loopback_bybit(rest, *, prefix: str, ws_url: str | None = None) -> str:
    """Set the environment before Django starts: embedded mode in a fresh data dir, Bybit testnet at the
    loopback REST server (and WebSocket server, if given), feeds off, no poll. Returns the data dir."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    for key in ("EXECDESK_DATABASE_URL", "EXECDESK_REDIS_URL", "EXECDESK_BYBIT_API_KEY_FILE",
                "EXECDESK_BYBIT_API_SECRET_FILE", "EXECDESK_ALLOW_MAINNET", "EXECDESK_BYBIT_WS_URL"):
        os.environ.pop(key, None)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "execdesk.settings",
        "EXECDESK_DATA_DIR": data_dir,
        "EXECDESK_BYBIT_ENV": "testnet",
        "EXECDESK_BYBIT_API_KEY": rest.api_key,
        "EXECDESK_BYBIT_API_SECRET": rest.api_secret,
        "EXECDESK_BYBIT_REST_URL": rest.url,
        "EXECDESK_BYBIT_FEED_IN_PROCESS": "0",  # a bench starts what it needs itself
        "EXECDESK_BYBIT_POLL_SECONDS": "3600",  # no poll behind the bench's back
    })
    if ws_url:
        os.environ["EXECDESK_BYBIT_WS_URL"] = ws_url
    return data_dir
