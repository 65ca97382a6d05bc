"""A loopback HTTP server speaking the Bybit v5 REST protocol, for tests that point the real
`pybit.unified_trading.HTTP` client at it (`client.endpoint = server.url`).

It checks what Bybit checks on private endpoints (X-BAPI-API-KEY / -TIMESTAMP / -RECV-WINDOW / -SIGN,
signature = HMAC-SHA256(secret, timestamp + key + recv_window + raw query string or raw JSON body)),
answers in Bybit's envelope, keeps a request log, and injects faults from a queue: each queued fault
hits the next request whose path matches it. Standard library only; state lives in a BybitVenue."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import bybit_market_data as md
from tests.loopback.bybit_venue import BybitError, BybitVenue

FAULT_KINDS = ("rate_limit", "server_error", "http_500", "slow", "lost_response")

Handler = Callable[[BybitVenue, dict[str, object]], object]

PUBLIC_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/v5/market/time"): lambda v, p: {
        "timeSecond": str(v.now_ms() // 1000),
        "timeNano": str(v.now_ms() * 1_000_000),
    },
    ("GET", "/v5/market/instruments-info"): md.instruments_info,
    ("GET", "/v5/market/tickers"): md.tickers,
    ("GET", "/v5/market/orderbook"): md.orderbook,
    ("GET", "/v5/market/recent-trade"): md.recent_trades,
    ("GET", "/v5/market/kline"): md.kline,
    ("GET", "/v5/market/funding/history"): md.funding_history,
    ("GET", "/v5/market/open-interest"): md.open_interest,
}

PRIVATE_ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "/v5/order/create"): lambda v, p: v.create_order(p),
    ("POST", "/v5/order/cancel"): lambda v, p: v.cancel_order(p),
    ("GET", "/v5/order/realtime"): lambda v, p: {
        "category": p.get("category"),
        "nextPageCursor": "",
        "list": v.open_orders(p),
    },
    ("GET", "/v5/execution/list"): lambda v, p: {
        "category": p.get("category"),
        "nextPageCursor": "",
        "list": v.execution_list(p),
    },
    ("GET", "/v5/account/fee-rate"): md.fee_rate,
}


@dataclass(frozen=True)
class Fault:
    """One injected failure. `path` None matches any request. `applied` says whether the request is
    still carried out (an order still created) before the failure is returned: the ambiguous case."""

    kind: str
    path: str | None = None
    seconds: float = 0.0
    reset_in_ms: int = 1000
    applied: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if self.seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {self.seconds}")
        if self.kind == "rate_limit" and self.applied:
            raise ValueError("a rate-limited request is never applied (applied must be False)")
        if self.kind == "slow" and not self.applied:
            raise ValueError("a slow request is always applied (applied must be True)")


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it. `signed` is None on public endpoints, else whether the key,
    timestamp and signature all checked out; `fault` names the injected fault it consumed, if any."""

    method: str
    path: str
    params: dict[str, object]
    signed: bool | None
    ret_code: int | None
    fault: str | None
    received_ms: int


class BybitLoopbackServer:
    """The server: `start()` binds 127.0.0.1 on a free port and serves from a daemon thread."""

    def __init__(
        self,
        *,
        api_key: str = "loopback-key",
        api_secret: str = "loopback-secret",
        venue: BybitVenue | None = None,
    ) -> None:
        self.venue = venue or BybitVenue()
        self.api_keys: dict[str, str] = {api_key: api_secret}
        self.api_key, self.api_secret = api_key, api_secret
        self.requests: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> BybitLoopbackServer:
        handler = type("BoundBybitHandler", (_BybitHandler,), {"loopback": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="bybit-loopback", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> BybitLoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # ---- test controls ---------------------------------------------------------------------------
    def inject(
        self,
        kind: str,
        path: str | None = None,
        *,
        seconds: float = 0.0,
        reset_in_ms: int = 1000,
        applied: bool | None = None,
    ) -> Fault:
        """Queue a fault for the next request to `path`. Kinds: rate_limit (retCode 10006 with the
        X-Bapi-Limit* headers, reset `reset_in_ms` from now), server_error (retCode 10016), http_500,
        slow (sleep `seconds` then answer normally), lost_response (carry the request out, then drop
        the connection without answering). `applied` defaults to True for slow and lost_response."""
        if applied is None:
            applied = kind in ("slow", "lost_response")
        fault = Fault(kind, path, seconds, reset_in_ms, applied)
        with self._lock:
            self._faults.append(fault)
        return fault

    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def requests_to(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def trade_through(
        self, symbol: str, price: str, qty: str, *, category: str = "linear"
    ) -> list[dict[str, object]]:
        return self.venue.trade_through(symbol, price, qty, category=category)

    # ---- internals used by the handler -----------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path in (None, path):
                    return self._faults.pop(i)
        return None

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def check_auth(self, headers: dict[str, str], payload: str) -> BybitError | None:
        key = headers.get("x-bapi-api-key", "")
        secret = self.api_keys.get(key)
        if secret is None:
            return BybitError(10003, "API key is invalid.")
        try:
            timestamp = int(headers.get("x-bapi-timestamp", ""))
            recv_window = int(headers.get("x-bapi-recv-window", "5000"))
        except ValueError:
            return BybitError(10001, "Request parameter error: bad X-BAPI-TIMESTAMP or X-BAPI-RECV-WINDOW")
        now = self.venue.now_ms()
        # Bybit's rule: server_time - recv_window <= timestamp < server_time + 1000
        if not now - recv_window <= timestamp < now + 1000:
            return BybitError(
                10002,
                f"invalid request, please check your server timestamp or recv_window param. "
                f"req_timestamp[{timestamp}],server_timestamp[{now}],recv_window[{recv_window}]",
            )
        signed = f"{headers.get('x-bapi-timestamp')}{key}{headers.get('x-bapi-recv-window', '5000')}{payload}"
        expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-bapi-sign", "")):
            return BybitError(10004, "Error sign, please check your signature generation algorithm.")
        return None


class _BybitHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; with Nagle on, the body waits ~40 ms for the client's delayed ACK
    disable_nagle_algorithm = True
    loopback: BybitLoopbackServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence stderr access log
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        split = urlsplit(self.path)
        self._serve("GET", split.path, split.query, dict(parse_qsl(split.query, keep_blank_values=True)))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        try:
            params = json.loads(body) if body else {}
        except json.JSONDecodeError:
            params = None
        self._serve("POST", urlsplit(self.path).path, body, params if isinstance(params, dict) else None)

    def _serve(self, method: str, path: str, payload: str, params: dict[str, object] | None) -> None:
        server, venue = self.loopback, self.loopback.venue
        received = venue.now_ms()
        private = (method, path) in PRIVATE_ROUTES
        route = PRIVATE_ROUTES.get((method, path)) or PUBLIC_ROUTES.get((method, path))
        if route is None:
            server._log(RequestRecord(method, path, params or {}, None, None, None, received))
            self._send(404, {"retCode": 10017, "retMsg": "Route not found."})
            return
        auth_error = (
            server.check_auth({k.lower(): v for k, v in self.headers.items()}, payload) if private else None
        )
        signed = None if not private else auth_error is None
        if auth_error is not None:
            server._log(RequestRecord(method, path, params or {}, signed, auth_error.code, None, received))
            self._send_envelope(auth_error.code, auth_error.message, {})
            return
        fault = server._take_fault(path)
        outcome: tuple[int, str, object] | None = None
        if fault is None or fault.applied:
            outcome = self._run(route, params)
        fault_name = fault.kind if fault else None
        if fault is None or fault.kind == "slow":
            if fault is not None:
                time.sleep(fault.seconds)
            assert outcome is not None
            code, msg, result = outcome
            server._log(RequestRecord(method, path, params or {}, signed, code, fault_name, received))
            self._send_envelope(code, msg, result, private=private)
            return
        code = {"rate_limit": 10006, "server_error": 10016}.get(fault.kind)
        server._log(RequestRecord(method, path, params or {}, signed, code, fault_name, received))
        if fault.kind == "lost_response":
            self.close_connection = True
        elif fault.kind == "http_500":
            self._send(500, {"retCode": 10016, "retMsg": "Internal Server Error"})
        elif fault.kind == "rate_limit":
            reset = venue.now_ms() + fault.reset_in_ms
            self._send_envelope(
                10006, "Too many visits. Exceeded the API Rate Limit.", {}, limit_headers=("0", str(reset))
            )
        else:
            self._send_envelope(10016, "Server error.", {})

    def _run(self, route: Handler, params: dict[str, object] | None) -> tuple[int, str, object]:
        if params is None:
            return 10001, "Request parameter error: body is not a JSON object", {}
        try:
            return 0, "OK", route(self.loopback.venue, params)
        except BybitError as err:
            return err.code, err.message, {}

    def _send_envelope(
        self,
        code: int,
        msg: str,
        result: object,
        *,
        private: bool = False,
        limit_headers: tuple[str, str] | None = None,
    ) -> None:
        now = self.loopback.venue.now_ms()
        headers = {}
        if limit_headers is not None:
            headers = {
                "X-Bapi-Limit": "10",
                "X-Bapi-Limit-Status": limit_headers[0],
                "X-Bapi-Limit-Reset-Timestamp": limit_headers[1],
            }
        elif private:
            headers = {
                "X-Bapi-Limit": "10",
                "X-Bapi-Limit-Status": "9",
                "X-Bapi-Limit-Reset-Timestamp": str(now),
            }
        body = {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now}
        self._send(200, body, headers)

    def _send(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up (a slow fault past its timeout): nothing left to answer
            self.close_connection = True
