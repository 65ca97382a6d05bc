"""Which Bybit the desk talks to, with which credentials and how fast: read once from EXECDESK_BYBIT_*.

Testnet is the default; demo trading and mainnet are chosen explicitly, and mainnet additionally needs
``EXECDESK_ALLOW_MAINNET=1`` so a copied environment file can never move real money by accident. The
API secret is held here for the pybit clients and is masked in ``repr``/``str`` so that a config that
ends up in a log line, an exception or the admin never shows it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from execdesk.env import ConfigError

ENVIRONMENTS = ("testnet", "demo", "mainnet")
CATEGORIES = ("spot", "linear", "inverse", "option")

# Bybit's documented hosts (docs/v5/demo, docs/v5/ws/connect). Demo trading has its own REST host and a
# private-only websocket host: its public market data is mainnet's, served by stream.bybit.com.
_REST_HOSTS = {
    "testnet": "https://api-testnet.bybit.com",
    "demo": "https://api-demo.bybit.com",
    "mainnet": "https://api.bybit.com",
}
_PUBLIC_WS_HOSTS = {
    "testnet": "wss://stream-testnet.bybit.com",
    "demo": "wss://stream.bybit.com",
    "mainnet": "wss://stream.bybit.com",
}
_PRIVATE_WS_HOSTS = {
    "testnet": "wss://stream-testnet.bybit.com",
    "demo": "wss://stream-demo.bybit.com",
    "mainnet": "wss://stream.bybit.com",
}
_BANNERS = {
    "testnet": "BYBIT TESTNET",
    "demo": "BYBIT DEMO TRADING",
    "mainnet": "BYBIT MAINNET — REAL MONEY",
}

# Bybit's default /v5/order/create limits per UID (docs/v5/rate-limit): higher VIP tiers get more.
DEFAULT_ORDER_RATE_LINEAR = 10.0
DEFAULT_ORDER_RATE_SPOT = 20.0


class BybitConfigError(ConfigError, ValueError):
    """A bad EXECDESK_BYBIT_* setting: a ConfigError for start-up code, a ValueError for validation."""


def _read(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _secret(environ: Mapping[str, str], name: str) -> str | None:
    """NAME, else the contents of the file named by NAME_FILE (as execdesk.env.envsecret, on a mapping)."""
    value = _read(environ, name)
    if value is not None:
        return value
    path = _read(environ, f"{name}_FILE")
    if path is None:
        return None
    try:
        content = Path(path).read_text().strip()
    except OSError as exc:
        raise BybitConfigError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None
    if not content:
        raise BybitConfigError(f"{name}_FILE={path!r} is empty")
    return content


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = _read(environ, name)
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise BybitConfigError(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def _rate(environ: Mapping[str, str], name: str, default: float) -> float:
    value = _read(environ, name)
    if value is None:
        return default
    try:
        rate = float(value)
    except ValueError:
        raise BybitConfigError(f"{name}={value!r} is not a number (orders per second)") from None
    if not math.isfinite(rate) or rate <= 0:
        raise BybitConfigError(f"{name}={value!r} must be a positive number of orders per second")
    return rate


def _base_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    """A base URL the standard paths are appended to: scheme in `schemes`, a host, no query or fragment."""
    if any(ch.isspace() for ch in value):
        raise BybitConfigError(f"{name}={value!r} contains whitespace")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise BybitConfigError(f"{name}={value!r} is not a {' or '.join(schemes)} URL with a host")
    if parts.query or parts.fragment:
        raise BybitConfigError(f"{name}={value!r} must be a base URL without query or fragment")
    try:
        parts.port  # noqa: B018 - urlsplit only validates the port when it is read
    except ValueError:
        raise BybitConfigError(f"{name}={value!r} has an invalid port") from None
    return value.rstrip("/")


@dataclass(frozen=True)
class BybitConfig:
    environment: str = "testnet"
    rest_url: str = _REST_HOSTS["testnet"]
    public_ws_base: str = _PUBLIC_WS_HOSTS["testnet"]
    private_ws_base: str = _PRIVATE_WS_HOSTS["testnet"]
    api_key: str | None = None
    api_secret: str | None = None
    order_rate_linear: float = DEFAULT_ORDER_RATE_LINEAR
    order_rate_spot: float = DEFAULT_ORDER_RATE_SPOT
    allow_mainnet: bool = False

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise BybitConfigError(
                f"EXECDESK_BYBIT_ENV={self.environment!r} is not valid; use one of {', '.join(ENVIRONMENTS)}"
            )
        if self.environment == "mainnet" and not self.allow_mainnet:
            raise BybitConfigError(
                "EXECDESK_BYBIT_ENV=mainnet trades real money and needs EXECDESK_ALLOW_MAINNET=1 as well; "
                "refusing to start"
            )
        _base_url("rest_url", self.rest_url, ("http", "https"))
        _base_url("public_ws_base", self.public_ws_base, ("ws", "wss"))
        _base_url("private_ws_base", self.private_ws_base, ("ws", "wss"))
        if (self.api_key is None) != (self.api_secret is None):
            missing = "EXECDESK_BYBIT_API_SECRET" if self.api_secret is None else "EXECDESK_BYBIT_API_KEY"
            raise BybitConfigError(
                f"{missing} (or {missing}_FILE) is missing: set both the key and the secret"
            )
        for field_name in ("order_rate_linear", "order_rate_spot"):
            rate = getattr(self, field_name)
            if not math.isfinite(rate) or rate <= 0:
                raise BybitConfigError(
                    f"{field_name}={rate!r} must be a positive number of orders per second"
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> BybitConfig:
        environment = (_read(environ, "EXECDESK_BYBIT_ENV") or "testnet").lower()
        if environment not in ENVIRONMENTS:
            raise BybitConfigError(
                f"EXECDESK_BYBIT_ENV={environ.get('EXECDESK_BYBIT_ENV')!r} is not valid; "
                f"use one of {', '.join(ENVIRONMENTS)}"
            )
        rest = _read(environ, "EXECDESK_BYBIT_REST_URL")
        ws = _read(environ, "EXECDESK_BYBIT_WS_URL")
        if ws is not None:
            ws = _base_url("EXECDESK_BYBIT_WS_URL", ws, ("ws", "wss"))
        return cls(
            environment=environment,
            rest_url=(
                _base_url("EXECDESK_BYBIT_REST_URL", rest, ("http", "https"))
                if rest is not None
                else _REST_HOSTS[environment]
            ),
            public_ws_base=ws or _PUBLIC_WS_HOSTS[environment],
            private_ws_base=ws or _PRIVATE_WS_HOSTS[environment],
            api_key=_secret(environ, "EXECDESK_BYBIT_API_KEY"),
            api_secret=_secret(environ, "EXECDESK_BYBIT_API_SECRET"),
            order_rate_linear=_rate(environ, "EXECDESK_BYBIT_ORDER_RATE_LINEAR", DEFAULT_ORDER_RATE_LINEAR),
            order_rate_spot=_rate(environ, "EXECDESK_BYBIT_ORDER_RATE_SPOT", DEFAULT_ORDER_RATE_SPOT),
            allow_mainnet=_flag(environ, "EXECDESK_ALLOW_MAINNET"),
        )

    @property
    def testnet(self) -> bool:
        """pybit's ``testnet=`` argument (required by its constructors)."""
        return self.environment == "testnet"

    @property
    def demo(self) -> bool:
        """pybit's ``demo=`` argument."""
        return self.environment == "demo"

    @property
    def has_credentials(self) -> bool:
        return self.api_key is not None and self.api_secret is not None

    @property
    def endpoints_overridden(self) -> bool:
        return (self.rest_url, self.public_ws_base, self.private_ws_base) != (
            _REST_HOSTS[self.environment],
            _PUBLIC_WS_HOSTS[self.environment],
            _PRIVATE_WS_HOSTS[self.environment],
        )

    def public_ws_url(self, category: str) -> str:
        if category not in CATEGORIES:
            raise BybitConfigError(f"category={category!r} is not valid; use one of {', '.join(CATEGORIES)}")
        return f"{self.public_ws_base}/v5/public/{category}"

    def private_ws_url(self) -> str:
        return f"{self.private_ws_base}/v5/private"

    def order_rate(self, category: str) -> float:
        """Client-side cap on order requests per second for `category` (spot or linear)."""
        if category == "linear":
            return self.order_rate_linear
        if category == "spot":
            return self.order_rate_spot
        raise BybitConfigError(f"category={category!r} has no order rate limit here; use spot or linear")

    def environment_banner(self) -> str:
        """The dashboard banner; names a custom endpoint so a loopback or regional host is never hidden."""
        banner = _BANNERS[self.environment]
        return f"{banner} · endpoint {self.rest_url}" if self.endpoints_overridden else banner

    def __repr__(self) -> str:
        key = None if self.api_key is None else f"{self.api_key[:4]}…"
        secret = None if self.api_secret is None else "***"
        return (
            f"BybitConfig(environment={self.environment!r}, rest_url={self.rest_url!r}, "
            f"public_ws_base={self.public_ws_base!r}, private_ws_base={self.private_ws_base!r}, "
            f"api_key={key!r}, api_secret={secret!r}, order_rate_linear={self.order_rate_linear!r}, "
            f"order_rate_spot={self.order_rate_spot!r}, allow_mainnet={self.allow_mainnet!r})"
        )

    __str__ = __repr__
