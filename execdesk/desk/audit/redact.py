"""Keep secrets out of audit payloads, pushes and logs."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from execdesk.env import secret_values

# "token" only as the whole name or its last part (api_token, access-token): "input_tokens" is a count
_SECRET_KEY_NAMES = re.compile(r"(secret|password|passwd|api[_-]?key|authorization|signature|(^|[_-])token$)", re.I)
# each is read as execdesk.env.envsecret reads it: NAME, else the file named by NAME_FILE
_SECRET_ENV = ("ANTHROPIC_API_KEY", "EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET", "EXECDESK_SECRET_KEY",
               "EXECDESK_AUDIT_KEY", "EXECDESK_DEMO_PASSWORD")
REDACTED = "[redacted]"


def _secret_values() -> list[str]:
    """The environment's secrets, and the keys the settings actually use whatever their source (embedded
    mode generates `secret_key` and `audit_key` in the data folder: they are in no environment variable)."""
    audit_key = getattr(settings, "AUDIT_KEY", b"")
    in_use = [getattr(settings, "SECRET_KEY", ""),
              audit_key.decode(errors="replace") if isinstance(audit_key, bytes) else str(audit_key)]
    return [v for v in dict.fromkeys([*secret_values(_SECRET_ENV), *in_use]) if v and len(v) >= 8]


def redact(value: Any, _secrets: list[str] | None = None) -> Any:
    secrets = _secret_values() if _secrets is None else _secrets
    if isinstance(value, dict):
        return {k: (REDACTED if _SECRET_KEY_NAMES.search(str(k)) else redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    return value
