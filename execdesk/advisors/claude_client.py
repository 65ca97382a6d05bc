"""One forced tool call to Claude through the official SDK, bounded in time, never raising for the API.

The SDK's own retries are off: it would honour any `retry-after`, however long. Here the whole call,
retries included, fits in the configured timeout: a 429 is retried only when its `retry-after` ends
inside the budget, a 529 / 5xx / connection error after a short backoff, and each attempt's timeout is
what is left of the budget. Whatever happens comes back as a `ClaudeAnswer` whose `error_kind` names it
(timeout, rate_limited, overloaded, server_error, connection, auth, bad_request, bad_response,
no_tool_call), with latency, tokens and their cost. The key goes to the SDK and nowhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from execdesk.advisors.cache import ResponseCache
from execdesk.advisors.claude_config import ClaudeConfig
from execdesk.advisors.prompt import prompt_hash

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam

log = logging.getLogger(__name__)
_BACKOFF_S = 0.5
_RETRYABLE = ("rate_limited", "overloaded", "server_error", "connection")


def _sdk() -> ModuleType:
    """The Anthropic SDK, imported on first use: it takes over a second to import, which every process
    (every `manage.py` command, `--help` included) would otherwise pay at start-up (docs/benchmarks.md)."""
    import anthropic

    return anthropic


@dataclass(frozen=True)
class ClaudeAnswer:
    tool_input: Any = None  # what the model put in the forced tool call (unvalidated), None on error
    text: str = ""  # any text the model wrote besides (or instead of) the tool call
    error_kind: str = ""
    error: str = ""
    latency_ms: float = 0.0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    model: str = ""
    prompt_hash: str = ""
    cached: bool = False
    request_id: str = ""
    stop_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error_kind

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ClaudeClient:
    def __init__(self, config: ClaudeConfig, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not config.enabled:
            raise ValueError("the Claude advisor needs ANTHROPIC_API_KEY")
        self.config = config
        self._sleep, self._clock = sleep, clock
        self._sdk = _sdk().Anthropic(api_key=config.api_key, base_url=config.base_url, max_retries=0,
                                     timeout=config.timeout_s, _strict_response_validation=True)
        self._cache = ResponseCache(config.cache_dir) if config.cache_dir else None

    def ask(self, *, system: str, prompt: str, tool: dict[str, Any]) -> ClaudeAnswer:
        cfg = self.config
        key = prompt_hash(cfg.model, system, prompt, tool["name"])
        if self._cache is not None and (hit := self._cache.get(key)) is not None:
            return ClaudeAnswer(tool_input=hit["tool_input"], text=hit.get("text", ""), model=cfg.model,
                                prompt_hash=key, cached=True, input_tokens=0, output_tokens=0, cost_usd=0.0,
                                extra={"original_tokens": hit.get("tokens", {})})
        start = self._clock()
        messages: list[MessageParam] = [{"role": "user", "content": prompt}]
        choice: ToolChoiceToolParam = {"type": "tool", "name": tool["name"]}
        deadline = start + cfg.timeout_s
        attempts, kind, error, request_id = 0, "", "", ""
        while True:
            attempts += 1
            left = deadline - self._clock()
            if left <= 0.05:
                kind, error = "timeout", f"no answer within {cfg.timeout_s:g} s ({attempts - 1} attempts)"
                break
            try:
                message = self._sdk.messages.create(
                    model=cfg.model, max_tokens=cfg.max_tokens, system=system, messages=messages,
                    tools=[cast("ToolParam", tool)], tool_choice=choice, timeout=left)
            except (_sdk().APIError, ValueError) as exc:  # a 200 whose body is not JSON raises ValueError
                kind, error, wait = _classify(exc, cfg.timeout_s)
                request_id = _request_id(exc)
                pause = _BACKOFF_S * 2 ** (attempts - 1) if wait is None else wait
                retry = kind in _RETRYABLE and attempts <= cfg.max_retries \
                    and self._clock() + pause < deadline - 0.05
                log.warning("Claude call failed (%s, attempt %d%s): %s", kind, attempts,
                            f", retry in {pause:.2f} s" if retry else "", error)
                if not retry:
                    break
                self._sleep(pause)
                continue
            return self._answer(message, key, start, attempts)
        return ClaudeAnswer(error_kind=kind, error=error, latency_ms=(self._clock() - start) * 1000,
                            attempts=attempts, model=cfg.model, prompt_hash=key, request_id=request_id,
                            cost_usd=0.0)  # no answer, no tokens billed

    def _answer(self, message: Any, key: str, start: float, attempts: int) -> ClaudeAnswer:
        latency = (self._clock() - start) * 1000
        usage = message.usage
        tokens_in, tokens_out = int(usage.input_tokens or 0), int(usage.output_tokens or 0)
        texts = [b.text for b in message.content if b.type == "text"]
        calls = [b for b in message.content if b.type == "tool_use"]
        common = dict(text="\n".join(texts)[:4000], latency_ms=latency, attempts=attempts,
                      input_tokens=tokens_in, output_tokens=tokens_out, model=message.model, prompt_hash=key,
                      cost_usd=self.config.cost_usd(tokens_in, tokens_out), request_id=getattr(message, "_request_id", "") or "",
                      stop_reason=message.stop_reason or "")
        if len(calls) != 1:
            what = "no tool call" if not calls else f"{len(calls)} tool calls"
            return ClaudeAnswer(error_kind="no_tool_call",
                                error=f"the model answered with {what} (stop reason {message.stop_reason})",
                                **common)
        answer = ClaudeAnswer(tool_input=calls[0].input, **common)
        if self._cache is not None:
            self._cache.put(key, {"tool_input": calls[0].input, "text": answer.text,
                                  "tokens": {"input": tokens_in, "output": tokens_out}, "model": message.model})
        return answer


def _classify(exc: Exception, budget: float) -> tuple[str, str, float | None]:
    """(kind, message, retry-after seconds or None) for an SDK error; the message never holds the key."""
    anthropic = _sdk()
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout", f"the request timed out (budget {budget:g} s)", None
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection", f"cannot reach the Anthropic API: {type(exc.__cause__ or exc).__name__}", None
    if isinstance(exc, anthropic.APIResponseValidationError):
        return "bad_response", "the API's response does not match the Messages schema", None
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        detail = _error_message(exc)
        if status == 429:
            wait = _retry_after(exc)
            after = f" (retry after {wait:g} s)" if wait is not None else ""
            return "rate_limited", f"rate limited (429){after}: {detail}", wait
        if status == 529:
            return "overloaded", f"the API is overloaded (529): {detail}", None
        if status >= 500:
            return "server_error", f"the API failed ({status}): {detail}", None
        if status in (401, 403):
            return "auth", f"the API refused the key ({status}): {detail}", None
        return "bad_request", f"the API refused the request ({status}): {detail}", None
    return "bad_response", f"the API's answer cannot be read: {type(exc).__name__}", None


def _error_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return f"{inner.get('type', 'error')}: {inner['message'][:300]}"
    return type(exc).__name__


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / scale
        except ValueError:
            continue
        if value >= 0:
            return value
    return None


def _request_id(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return response.headers.get("request-id", "") if response is not None else ""
