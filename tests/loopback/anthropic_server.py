"""A loopback HTTP server speaking the Anthropic Messages API (POST /v1/messages), for tests that point
the real `anthropic.Anthropic` client at it (`base_url=server.url`).

It checks the credential and `anthropic-version` header, validates the body minimally, answers from a
script of replies (tool use, text, error envelopes, hostile bodies, slow answers) and keeps a request
log with credentials redacted. Standard library only.

Credential: the docs name `x-api-key`, but anthropic 2.13 sends the key as `Authorization: Bearer`;
the server accepts either, so the real SDK and a hand-written client both authenticate."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
CREDENTIAL_HEADERS = ("x-api-key", "authorization")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class MessageReply:
    """A 200 message. `blocks` are content blocks without ids (ids are fresh per answer); token counts
    left None are derived from the request and output sizes, so cost figures vary as real ones do."""
    blocks: tuple[dict[str, Any], ...]
    stop_reason: str
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class ErrorReply:
    """An error in the API's envelope; `retry_after` (seconds) and `should_retry` become headers."""
    status: int
    error_type: str
    message: str
    retry_after: float | None = None
    should_retry: bool | None = None


@dataclass(frozen=True)
class RawReply:
    """Exactly these bytes with this status: for bodies the real API would never send."""
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SlowReply:
    """`reply`, sent after `delay_s`; the wait ends early (and unanswered) when the server stops."""
    reply: Reply
    delay_s: float


Reply = MessageReply | ErrorReply | RawReply | SlowReply


def tool_reply(name: str, input: dict[str, Any], *, input_tokens: int | None = None,  # noqa: A002
               output_tokens: int | None = None, text: str | None = None) -> MessageReply:
    """The model calls tool `name` with `input`, optionally after a text block (stop_reason tool_use)."""
    lead = ({"type": "text", "text": text},) if text is not None else ()
    tool = {"type": "tool_use", "name": name, "input": dict(input)}
    return MessageReply((*lead, tool), "tool_use", input_tokens, output_tokens)


def text_reply(text: str, *, input_tokens: int | None = None, output_tokens: int | None = None) -> MessageReply:
    """Text only, stop_reason end_turn: a model that ignored the forced tool."""
    return MessageReply(({"type": "text", "text": text},), "end_turn", input_tokens, output_tokens)


def raw_reply(status: int, body: bytes | str, headers: dict[str, str] | None = None) -> RawReply:
    """A hostile or malformed answer; Content-Type is application/json unless `headers` say otherwise."""
    merged = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    return RawReply(status, body.encode() if isinstance(body, str) else body, tuple(merged.items()))


def error_reply(status: int, error_type: str, message: str, *, retry_after: float | None = None,
                should_retry: bool | None = None) -> ErrorReply:
    return ErrorReply(status, error_type, message, retry_after, should_retry)


def rate_limited(retry_after: float = 1) -> ErrorReply:
    return ErrorReply(429, "rate_limit_error", "Number of requests has exceeded your rate limit.", retry_after)


def overloaded() -> ErrorReply:
    return ErrorReply(529, "overloaded_error", "Overloaded")


def server_error() -> ErrorReply:
    return ErrorReply(500, "api_error", "Internal server error")


def slow(reply: Reply, delay_s: float) -> SlowReply:
    return SlowReply(reply, delay_s)


def render(reply: Reply, model: str, request_size: int, request_id: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body answering a request of `request_size` bytes (slow replies unwrapped)."""
    headers = {"request-id": request_id, "content-type": "application/json"}
    if isinstance(reply, RawReply):
        return reply.status, {**headers, **dict(reply.headers)}, reply.body
    if isinstance(reply, ErrorReply):
        if reply.retry_after is not None:
            headers["retry-after"] = f"{reply.retry_after:g}"
        if reply.should_retry is not None:
            headers["x-should-retry"] = "true" if reply.should_retry else "false"
        error = {"type": reply.error_type, "message": reply.message}
        return reply.status, headers, json.dumps({"type": "error", "error": error, "request_id": request_id}).encode()
    if not isinstance(reply, MessageReply):
        raise TypeError(f"not a renderable reply: {reply!r}")
    content = [{**b, "id": _new_id("toolu")} if b["type"] == "tool_use" else dict(b) for b in reply.blocks]
    produced = json.dumps([b.get("input", b.get("text")) for b in content])
    usage = {"input_tokens": reply.input_tokens if reply.input_tokens is not None else max(1, request_size // 4),
             "output_tokens": reply.output_tokens if reply.output_tokens is not None else max(1, len(produced) // 4),
             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "standard"}
    message = {"id": _new_id("msg"), "type": "message", "role": "assistant", "model": model, "content": content,
               "stop_reason": reply.stop_reason, "stop_sequence": None, "usage": usage}
    return 200, headers, json.dumps(message).encode()


class AnthropicLoopbackServer:
    """The server: entering the context binds 127.0.0.1 on a free port and serves from daemon threads.
    Replies: `responder(body)` when set, else the next `script`ed reply, else `default`."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key or f"sk-ant-test-{secrets.token_urlsafe(24)}"
        self.default: Reply = text_reply("loopback: no scripted reply")
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._queue: deque[Reply] = deque()
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> AnthropicLoopbackServer:
        self._closing.clear()
        handler = type("BoundAnthropicHandler", (_Handler,), {"loopback": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="anthropic-loopback",
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving, wake slow replies and cut kept-alive connections so no handler thread lingers."""
        if self._httpd is None:
            return
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._httpd = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        """Queue replies, consumed one per accepted request, in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request seen: path, headers (lower-cased, credentials redacted), body (parsed JSON or
        None), received_at (time.monotonic()), authenticated, status (once decided), request_id."""
        with self._lock:
            return [dict(r) for r in self._requests]

    # ---- used by the handler ------------------------------------------------------------------------
    def _next_reply(self, body: dict[str, Any]) -> Reply:
        responder = self.responder
        if responder is not None:
            return responder(body)
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _authenticated(self, headers: dict[str, str]) -> bool:
        bearer = headers.get("authorization", "")
        presented = headers.get("x-api-key") or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
        return secrets.compare_digest(presented.encode(), self.api_key.encode())


def _missing_field(body: Any) -> str | None:
    """The API's wording for the first required field that is absent or of the wrong type."""
    if not isinstance(body, dict):
        return "body: Input should be a JSON object"
    for name, kind in (("model", str), ("max_tokens", int), ("messages", list)):
        if name not in body or not isinstance(body[name], kind) or isinstance(body[name], bool):
            return f"{name}: Field required" if name not in body else f"{name}: Input should be a valid {kind.__name__}"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; with Nagle on, the body waits ~40 ms for the delayed ACK
    disable_nagle_algorithm = True
    loopback: AnthropicLoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.loopback._lock:
            self.loopback._connections.add(self.connection)

    def finish(self) -> None:
        with self.loopback._lock:
            self.loopback._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the stderr access log
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve(b"")

    def do_POST(self) -> None:  # noqa: N802
        self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _serve(self, raw: bytes) -> None:
        server, request_id = self.loopback, _new_id("req")
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body: Any = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        record = {"path": self.path, "headers": {k: REDACTED if k in CREDENTIAL_HEADERS else v
                                                 for k, v in headers.items()},
                  "body": body, "received_at": time.monotonic(), "authenticated": server._authenticated(headers),
                  "status": None, "request_id": request_id}
        with server._lock:
            server._requests.append(record)
        reply = self._choose(record, headers, raw, body)
        delay = 0.0
        while isinstance(reply, SlowReply):
            delay, reply = delay + reply.delay_s, reply.reply
        model = body.get("model", "") if isinstance(body, dict) else ""
        status, out_headers, data = render(reply, model, len(raw), request_id)
        with server._lock:
            record["status"] = status
        log.info("%s %s -> %s %s model=%s delay=%.2fs", self.command, self.path, status, request_id, model, delay)
        if delay and server._closing.wait(delay):
            self.close_connection = True
            return
        self._send(status, out_headers, data)

    def _choose(self, record: dict[str, Any], headers: dict[str, str], raw: bytes, body: Any) -> Reply:
        """Protocol checks first (they consume no scripted reply), then the responder or the script."""
        if self.command != "POST" or self.path.split("?")[0] != "/v1/messages":
            return error_reply(404, "not_found_error", f"Not found: {self.command} {self.path}")
        if not record["authenticated"]:
            return error_reply(401, "authentication_error", "invalid x-api-key")
        if not headers.get("anthropic-version"):
            return error_reply(400, "invalid_request_error", "anthropic-version: header is required")
        if raw and body is None:
            return error_reply(400, "invalid_request_error", "There was an error parsing the body as JSON")
        problem = _missing_field(body)
        if problem is not None:
            return error_reply(400, "invalid_request_error", problem)
        try:
            return self.loopback._next_reply(body)
        except Exception as exc:  # a broken responder is a test bug: say so, and tell the SDK not to retry
            log.exception("responder failed")
            return error_reply(500, "api_error", f"loopback responder failed: {exc!r}", should_retry=False)

    def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up (a slow reply past its timeout): nothing left to answer
            self.close_connection = True
