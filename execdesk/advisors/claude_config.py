"""The Claude advisor's settings, from the environment only (the API key is never stored anywhere else).

`ANTHROPIC_API_KEY` (or `ANTHROPIC_API_KEY_FILE`) switches the advisor on; `ANTHROPIC_BASE_URL` aims the
SDK elsewhere (tests, gateways); `EXECDESK_LLM_MODEL` picks the model (default below, one the installed
SDK lists); `EXECDESK_LLM_TIMEOUT_SECONDS` bounds one decision, retries included (default 10 s, the seed's
`llm_timeout_secs`); `EXECDESK_LLM_MAX_RETRIES` bounds the retries inside it; `EXECDESK_LLM_CACHE_DIR`
opts into the response cache keyed by prompt hash; `EXECDESK_LLM_PRICE_PER_MTOK` ("3,15": USD per
million input, output tokens) prices a model the built-in table does not know.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from execdesk.env import ConfigError

DEFAULT_MODEL = "claude-sonnet-4-6"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 1024

# USD per million tokens (input, output), by model family as Anthropic publishes them.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-6": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
}


class ClaudeConfigError(ConfigError, ValueError):
    """A Claude setting in the environment is unusable; the message names it (a ConfigError: every process
    refuses to start on it, with that one line)."""


@dataclass(frozen=True)
class ClaudeConfig:
    api_key: str = field(default="", repr=False)
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS
    cache_dir: Path | None = None
    price_per_mtok: tuple[float, float] | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClaudeConfig:
        env = os.environ if env is None else env
        key = env.get("ANTHROPIC_API_KEY", "").strip()
        key_file = env.get("ANTHROPIC_API_KEY_FILE", "").strip()
        if not key and key_file:
            try:
                key = Path(key_file).read_text().strip()
            except OSError as exc:
                raise ClaudeConfigError(f"ANTHROPIC_API_KEY_FILE {key_file!r} cannot be read: {exc.strerror}") from None
        timeout = _number(env, "EXECDESK_LLM_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_S, low=0.5, high=120)
        retries = int(_number(env, "EXECDESK_LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES, low=0, high=5, integer=True))
        cache = env.get("EXECDESK_LLM_CACHE_DIR", "").strip()
        return cls(api_key=key, base_url=env.get("ANTHROPIC_BASE_URL", "").strip() or None,
                   model=env.get("EXECDESK_LLM_MODEL", "").strip() or DEFAULT_MODEL, timeout_s=timeout,
                   max_retries=retries, cache_dir=Path(cache) if cache else None,
                   price_per_mtok=_prices(env.get("EXECDESK_LLM_PRICE_PER_MTOK", "")))

    def prices(self) -> tuple[float, float] | None:
        """USD per million (input, output) tokens for the model, or None when unknown."""
        if self.price_per_mtok is not None:
            return self.price_per_mtok
        for name in sorted(PRICES_PER_MTOK, key=len, reverse=True):  # the most specific family first
            if self.model == name or self.model.startswith(name + "-"):
                return PRICES_PER_MTOK[name]
        return None

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float | None:
        prices = self.prices()
        if prices is None:
            return None
        return (input_tokens * prices[0] + output_tokens * prices[1]) / 1e6


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float,
            integer: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ClaudeConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or not low <= value <= high or (integer and value != int(value)):
        kind = "a whole number" if integer else "a number"
        raise ClaudeConfigError(f"{name} must be {kind} between {low:g} and {high:g}, got {raw!r}")
    return value


def _prices(raw: str) -> tuple[float, float] | None:
    if not raw.strip():
        return None
    parts = raw.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ClaudeConfigError(f"EXECDESK_LLM_PRICE_PER_MTOK must be 'input,output' USD per million tokens, "
                                f"got {raw!r}")
    return values[0], values[1]
