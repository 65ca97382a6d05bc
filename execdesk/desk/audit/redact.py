"""Keep secrets out of audit payloads, pushes and logs."""

from __future__ import annotations

import re
from typing import Any

from execdesk.env import secret_values

# "token" only as the whole name or its last part (api_token, access-token): "input_tokens" is a count
_SECRET_KEY_NAMES = re.compile(r"(secret|password|passwd|api[_-]?key|authorization|signature|(^|[_-])token$)", re.I)
# each is read as execdesk.env.envsecret reads it: NAME, else the file named by NAME_FILE
_SECRET_ENV = ("ANTHROPIC_API_KEY", "EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET", "EXECDESK_SECRET_KEY",
               "EXECDESK_AUDIT_KEY", "EXECDESK_DEMO_PASSWORD")
REDACTED = "[redacted]"


def _secret_values() -> list[str]:
    return [v for v in secret_values(_SECRET_ENV) if len(v) >= 8]


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
