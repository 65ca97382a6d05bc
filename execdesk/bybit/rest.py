"""pybit's signed HTTP session for the configured Bybit environment, shared by market data and execution."""

from __future__ import annotations

from pybit.unified_trading import HTTP

from execdesk.bybit.config import BybitConfig


def http_client(config: BybitConfig, *, timeout_s: float = 10.0, attempts: int = 1) -> HTTP:
    """pybit's HTTP session for the configured environment; endpoint overrides (regional hosts, tests) are
    set after construction, which is how pybit takes them. pybit's own retries are off by default: the
    execution client decides what may be retried (an order create never blindly). pybit's `max_retries`
    counts attempts: 0 would send nothing at all."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    http = HTTP(testnet=config.testnet, demo=config.demo, api_key=config.api_key, api_secret=config.api_secret,
                timeout=timeout_s, max_retries=attempts, retry_codes={-1}, log_requests=False)
    http.endpoint = config.rest_url
    return http
