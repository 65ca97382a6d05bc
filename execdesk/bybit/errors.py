"""What a failed Bybit request means for the order it carried: rejected, retry later, or unknown.

The distinction that matters is whether the order may exist on Bybit. A *rejected* request (a non-zero
``retCode`` for a business rule: balance, minimum notional, bad parameter) certainly created nothing: the
child order is REJECTED and the trader sees Bybit's reason. A *retryable* one (clock skew, rate limit)
was refused before matching: send it again after the back-off. An *ambiguous* one (server error, 5xx,
timeout, dropped connection, or a duplicate ``orderLinkId``) may have created the order: look it up by
``orderLinkId`` before anything else, because sending it again could trade twice.

Codes and meanings are Bybit's published list (docs/v5/error): the UTA table and the Spot Trade table.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import requests


class ErrorClass(StrEnum):
    REJECTED = "rejected"  # nothing was created: record the child as REJECTED with the message
    RETRYABLE = "retryable"  # refused before matching: retry the same orderLinkId after back-off
    AMBIGUOUS = "ambiguous"  # the order may exist: look it up by orderLinkId before anything else


@dataclass(frozen=True)
class Classification:
    kind: ErrorClass
    code: int | None  # Bybit's retCode, or the HTTP status when there was no retCode
    message: str  # what the trader reads
    retry_after_s: float | None = None  # from X-Bapi-Limit-Reset-Timestamp when Bybit sent it
    duplicate: bool = False  # the orderLinkId is already taken: the order exists, adopt it via lookup
    post_only_crossed: bool = False  # a post-only order would have taken liquidity: reprice at the touch

    @property
    def lookup_first(self) -> bool:
        """The order may exist on Bybit: query it by orderLinkId before retrying or giving up."""
        return self.kind is ErrorClass.AMBIGUOUS


_R, _T, _A = ErrorClass.REJECTED, ErrorClass.RETRYABLE, ErrorClass.AMBIGUOUS

# retCode -> (class, meaning as the trader reads it)
CODES: dict[int, tuple[ErrorClass, str]] = {
    # request / account (UTA table)
    10001: (_R, "bad request parameter"),
    10003: (_R, "invalid API key (is it a key for this Bybit environment?)"),
    10004: (_R, "signature error"),
    10005: (_R, "the API key lacks the permission"),
    10007: (_R, "authentication failed"),
    10008: (_R, "the account is banned from this action (check the account mode)"),
    10009: (_R, "the IP address is banned"),
    10010: (_R, "the IP address is not bound to the API key"),
    10024: (_R, "compliance rules triggered"),
    10027: (_R, "trading is banned for this account"),
    10028: (_R, "the API is only for unified trading accounts"),
    10029: (_R, "the symbol is not in the API key's whitelist"),
    110001: (_R, "order does not exist"),
    110003: (_R, "order price outside the permitted range"),
    110004: (_R, "insufficient wallet balance"),
    110006: (_R, "assets cannot cover the position margin"),
    110007: (_R, "insufficient balance"),
    110008: (_R, "the order is already filled or cancelled"),
    110010: (_R, "the order is already cancelled"),
    110012: (_R, "insufficient available balance"),
    110017: (_R, "reduce-only rule not satisfied"),
    110020: (_R, "more than 500 active orders"),
    110021: (_R, "position limit reached (open interest)"),
    110023: (_R, "this contract only accepts position-reducing orders"),
    110040: (_R, "the order would trigger liquidation"),
    110044: (_R, "insufficient available margin"),
    110045: (_R, "insufficient wallet balance"),
    110066: (_R, "trading is not allowed at the moment"),
    110074: (_R, "the contract is not live"),
    110090: (_R, "the position would exceed its limit at this leverage"),
    110094: (_R, "order value below the minimum notional"),
    # spot (Spot Trade table)
    170121: (_R, "invalid symbol"),
    170124: (_R, "order amount too large"),
    170130: (_R, "invalid parameter value"),
    170131: (_R, "insufficient balance"),
    170132: (_R, "order price too high"),
    170133: (_R, "order price below the minimum"),
    170134: (_R, "too many decimals in the price"),
    170136: (_R, "order quantity below the minimum"),
    170137: (_R, "too many decimals in the quantity"),
    170140: (_R, "order value below the minimum"),
    170151: (_R, "the trading pair is not open yet"),
    170157: (_R, "the trading pair is not available for API trading"),
    170192: (_R, "order price above the price limit"),
    170193: (_R, "buy price above the price limit"),
    170194: (_R, "sell price below the price limit"),
    170210: (_R, "new order rejected"),
    170213: (_R, "order does not exist"),
    170217: (_R, "only post-only (LIMIT-MAKER) orders are accepted for this pair"),
    170218: (_R, "post-only order rejected: its price would take liquidity"),
    170341: (_R, "order quantity above the maximum"),
    # refused before matching: retry after back-off
    -1: (_T, "request expired before Bybit processed it"),
    429: (_T, "Bybit's trading service is under high load"),
    10002: (_T, "request timestamp outside the receive window (check the clock)"),
    10006: (_T, "rate limit exceeded"),
    10018: (_T, "IP rate limit exceeded"),
    110079: (_T, "the order is being processed; try again later"),
    170005: (_T, "too many new orders"),
    170222: (_T, "too many requests"),
    # the order may exist
    10000: (_A, "server timeout"),
    10016: (_A, "Bybit server error"),
    110072: (_A, "duplicate orderLinkId"),
    170001: (_A, "Bybit internal error"),
    170007: (_A, "timeout waiting for Bybit's backend"),
    170032: (_A, "network error inside Bybit"),
    170141: (_A, "duplicate orderLinkId"),
    170146: (_A, "order creation timed out"),
    170234: (_A, "Bybit system error"),
}
DUPLICATE_CODES = frozenset({110072, 170141})
POST_ONLY_CROSSED_CODES = frozenset({170218})
RESET_HEADER = "X-Bapi-Limit-Reset-Timestamp"


def _retry_after(headers: Mapping[str, str] | None, now: float | None) -> float | None:
    """Seconds until Bybit's rate-limit window resets, from the header (ms since the epoch)."""
    if not headers:
        return None
    raw = next((v for k, v in headers.items() if k.lower() == RESET_HEADER.lower()), None)
    if raw is None:
        return None
    if now is None:
        raise ValueError(f"now is required to read {RESET_HEADER} (Unix seconds of the response)")
    try:
        reset_s = float(raw) / 1000.0
    except (TypeError, ValueError):
        return None
    if not math.isfinite(reset_s):
        return None
    return max(0.0, reset_s - now)


def _with_bybit_text(text: str, ret_msg: str) -> str:
    ret_msg = ret_msg.strip()
    return f"{text} — Bybit says: {ret_msg!r}" if ret_msg and ret_msg.lower() not in text.lower() else text


def _from_exception(exc: BaseException) -> Classification | None:
    # requests.Timeout covers ConnectTimeout and ReadTimeout; socket.timeout is an alias of TimeoutError
    if isinstance(exc, (requests.Timeout, TimeoutError)):
        what = "timed out"
    elif isinstance(exc, (requests.ConnectionError, ConnectionError)):
        what = "lost its connection"
    else:
        return None
    return Classification(
        _A,
        None,
        f"The request to Bybit {what} ({type(exc).__name__}); the order may exist: looking it up by "
        "orderLinkId before anything else",
    )


def _from_http(status: int) -> Classification | None:
    if status >= 500:
        return Classification(
            _A,
            status,
            f"Bybit answered HTTP {status}; the order may exist: looking it up by orderLinkId before "
            "anything else",
        )
    if status == 429:
        return Classification(
            _T, status, "Bybit's system-level frequency protection (HTTP 429); retrying later"
        )
    if status == 403:
        return Classification(
            _R,
            status,
            "Bybit refused the request (HTTP 403): the IP address is banned for breaching the IP rate limit "
            "(usually 30 minutes) or is in a restricted region",
        )
    if status >= 400:
        return Classification(_R, status, f"Bybit refused the request (HTTP {status})")
    return None


def classify(
    ret_code: int | None,
    *,
    http_status: int | None = None,
    exception: BaseException | None = None,
    ret_msg: str = "",
    headers: Mapping[str, str] | None = None,
    now: float | None = None,
) -> Classification:
    """Classify one failed Bybit order request.

    `exception` (timeout, connection error) wins, then a non-2xx `http_status`, then `ret_code`. A
    ``retCode`` Bybit does not list here is a rejection: Bybit answered and refused, so nothing was
    created. `headers` and `now` (Unix seconds) give ``retry_after_s`` for rate limits.
    """
    if exception is not None:
        by_exception = _from_exception(exception)
        if by_exception is not None:
            return by_exception
        if ret_code is None and http_status is None:
            # An unexpected local error after the request may have left: never assume it did not arrive.
            return Classification(
                _A,
                None,
                f"The request to Bybit failed ({type(exception).__name__}: {exception}); the order may exist: "
                "looking it up by orderLinkId before anything else",
            )
    if http_status is not None and not 200 <= http_status < 300:
        by_status = _from_http(http_status)
        if by_status is not None:
            if by_status.kind is _T:
                return Classification(_T, http_status, by_status.message, _retry_after(headers, now))
            return by_status
    if ret_code is None:
        if http_status is None:
            raise ValueError("classify needs a ret_code, an http_status or an exception")
        return Classification(
            _A,
            http_status,
            f"Bybit answered HTTP {http_status} without a retCode; the order may exist: looking it up by "
            "orderLinkId before anything else",
        )
    if ret_code == 0:
        raise ValueError("ret_code 0 is success: there is nothing to classify")
    kind, meaning = CODES.get(ret_code, (_R, ret_msg.strip() or "unknown error"))
    if ret_code in DUPLICATE_CODES:
        return Classification(
            _A,
            ret_code,
            f"Bybit already has an order with this orderLinkId ({ret_code}): the order exists; looking it up "
            "by orderLinkId instead of sending it again",
            duplicate=True,
        )
    if kind is _R:
        text = _with_bybit_text(f"Bybit rejected the order: {meaning} ({ret_code})", ret_msg)
        return Classification(_R, ret_code, text, post_only_crossed=ret_code in POST_ONLY_CROSSED_CODES)
    if kind is _T:
        text = _with_bybit_text(f"Bybit asked to retry later: {meaning} ({ret_code})", ret_msg)
        return Classification(_T, ret_code, text, _retry_after(headers, now))
    text = _with_bybit_text(
        f"Bybit could not confirm the order: {meaning} ({ret_code}); the order may exist: looking it up by "
        "orderLinkId before anything else",
        ret_msg,
    )
    return Classification(_A, ret_code, text)


def classify_pybit_error(exc: BaseException, *, now: float | None = None) -> Classification:
    """Classify what pybit raised around a request.

    pybit raises ``InvalidRequestError`` for a non-zero retCode (``status_code`` is the retCode) and
    ``FailedRequestError`` for an HTTP failure or exhausted retries (``status_code`` is the HTTP status,
    and ``resp_headers`` is None when the request failed locally). They are recognised by name so this
    module does not import pybit; anything else goes through the exception rules of `classify`.
    """
    name = type(exc).__name__
    code = getattr(exc, "status_code", None)
    headers = getattr(exc, "resp_headers", None)
    headers = headers if isinstance(headers, Mapping) else None
    message = str(getattr(exc, "message", "") or "")
    if name == "InvalidRequestError" and isinstance(code, int):
        return classify(code, ret_msg=message, headers=headers, now=now)
    if name == "FailedRequestError" and isinstance(code, int) and headers is not None:
        return classify(None, http_status=code, headers=headers, now=now)
    return classify(None, exception=exc)


def backoff_s(
    attempt: int,
    *,
    rng: random.Random,
    base: float = 0.25,
    cap: float = 5.0,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    Full jitter — uniform in [0, min(cap, base·2^attempt)] — so workers that were throttled together do
    not retry together. When Bybit said when its window resets (`retry_after`), wait at least that long
    plus up to `base` of jitter; Bybit's figure is not capped.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt!r}")
    if not (math.isfinite(base) and base > 0):
        raise ValueError(f"base must be positive and finite, got {base!r}")
    if not (math.isfinite(cap) and cap >= base):
        raise ValueError(f"cap must be finite and >= base ({base!r}), got {cap!r}")
    if retry_after is not None:
        if not math.isfinite(retry_after) or retry_after < 0:
            raise ValueError(f"retry_after must be non-negative and finite, got {retry_after!r}")
        return retry_after + rng.uniform(0.0, base)
    ceiling = min(cap, base * 2.0 ** min(attempt, 64))
    return rng.uniform(0.0, ceiling)
