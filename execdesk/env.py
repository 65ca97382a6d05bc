"""Typed readers for EXECDESK_* environment settings. A bad value fails loudly at start-up."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import overload


class ConfigError(RuntimeError):
    pass


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def envint(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not an integer") from None


def envfloat(name: str, default: float) -> float:
    value = env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None


def envsecret(name: str) -> str | None:
    """A secret from NAME or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    value = env(name)
    if value is not None:
        return value
    path = env(f"{name}_FILE")
    if path is None:
        return None
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None


def secret_values(names: tuple[str, ...]) -> list[str]:
    """The values of these secrets as envsecret reads them (NAME, else NAME_FILE's contents), for redaction:
    a file that cannot be read is skipped here (envsecret reports it where the secret is used)."""
    found = []
    for name in names:
        value = env(name)
        if value is None and (path := env(f"{name}_FILE")) is not None:
            value = _secret_file(path)
        if value:
            found.append(value)
    return found


def _secret_file(path: str) -> str | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _read_secret_file(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _read_secret_file(path: str, mtime_ns: int, size: int) -> str | None:
    # keyed by modification time and size: a rotated secret file is read again, an unchanged one never
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def redis_db_url(url: str, offset: int) -> str:
    """The Redis URL `url` moved `offset` database numbers up: broker, results, channel layer, order-rate
    budget and snapshots each get their own."""
    base, _, tail = url.rpartition("/")
    db = int(tail) if tail.isdigit() else 0
    return f"{base if tail.isdigit() else url.rstrip('/')}/{db + offset}"


_ANY_ADDRESS = ("0.0.0.0", "::", "[::]")  # a server bound to every interface is reached on the loopback


def public_url() -> str:
    """Where people reach the desk, for links printed outside a request (the CLI): EXECDESK_PUBLIC_URL,
    else http://EXECDESK_HOST:EXECDESK_PORT as `make run` serves it. No trailing slash."""
    value = env("EXECDESK_PUBLIC_URL")
    if value is None:
        host = env("EXECDESK_HOST", "127.0.0.1").strip()
        port = envint("EXECDESK_PORT", 8000)
        if host in _ANY_ADDRESS:
            host = "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{port}"
    url = value.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or any(c.isspace() for c in rest):
        raise ConfigError(f"EXECDESK_PUBLIC_URL={value!r} is not an http(s) URL (e.g. https://desk.example.com)")
    return url
