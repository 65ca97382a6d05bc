from __future__ import annotations

import random
import socket

import pytest
import requests

from execdesk.bybit.errors import ErrorClass, backoff_s, classify, classify_pybit_error

NOW = 1_672_738_134.0  # Unix seconds


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (110007, "insufficient balance"),
        (110094, "order value below the minimum notional"),
        (10001, "bad request parameter"),
        (110017, "reduce-only rule not satisfied"),
        (170131, "insufficient balance"),
        (170136, "order quantity below the minimum"),
        (170140, "order value below the minimum"),
    ],
)
def test_business_rule_codes_reject_the_order_with_a_readable_reason(code: int, meaning: str) -> None:
    result = classify(code)

    assert result.kind is ErrorClass.REJECTED
    assert result.code == code
    assert result.message == f"Bybit rejected the order: {meaning} ({code})"
    assert not result.lookup_first and result.retry_after_s is None


def test_the_rejection_shows_bybits_own_text_when_it_adds_something() -> None:
    result = classify(110007, ret_msg="ab not enough for new order")

    assert result.message == (
        "Bybit rejected the order: insufficient balance (110007) — Bybit says: 'ab not enough for new order'"
    )


def test_an_unlisted_code_is_a_rejection_carrying_bybits_text() -> None:
    result = classify(181234, ret_msg="Something new")

    assert result.kind is ErrorClass.REJECTED
    assert result.message == "Bybit rejected the order: Something new (181234)"


def test_a_duplicate_order_link_id_means_the_order_exists_and_is_looked_up() -> None:
    for code in (110072, 170141):
        result = classify(code, ret_msg="OrderLinkedID is duplicate")

        assert result.kind is ErrorClass.AMBIGUOUS and result.lookup_first
        assert result.duplicate
        assert "the order exists" in result.message and "looking it up by orderLinkId" in result.message


def test_a_post_only_that_would_take_liquidity_is_flagged_for_repricing() -> None:
    result = classify(170218)

    assert result.kind is ErrorClass.REJECTED and result.post_only_crossed
    assert not classify(110007).post_only_crossed


def test_rate_limit_waits_until_bybits_reset_timestamp() -> None:
    headers = {
        "X-Bapi-Limit": "10",
        "X-Bapi-Limit-Status": "0",
        "X-Bapi-Limit-Reset-Timestamp": "1672738135824",
    }

    result = classify(10006, headers=headers, now=NOW)

    assert result.kind is ErrorClass.RETRYABLE
    assert result.retry_after_s == pytest.approx(1.824)
    assert "rate limit exceeded (10006)" in result.message


def test_the_reset_header_is_read_case_insensitively_and_a_past_reset_means_no_wait() -> None:
    assert (
        classify(10006, headers={"x-bapi-limit-reset-timestamp": "1672738133000"}, now=NOW).retry_after_s
        == 0.0
    )


def test_a_missing_or_garbled_reset_header_leaves_the_wait_to_the_backoff() -> None:
    assert classify(10006, headers={}, now=NOW).retry_after_s is None
    assert classify(10006, headers={"X-Bapi-Limit-Reset-Timestamp": "soon"}, now=NOW).retry_after_s is None


def test_reading_the_reset_header_needs_the_response_time() -> None:
    with pytest.raises(ValueError, match="now is required"):
        classify(10006, headers={"X-Bapi-Limit-Reset-Timestamp": "1672738135824"})


@pytest.mark.parametrize("code", [10002, 10006, 10018, 170005, 170222, 110079])
def test_clock_and_rate_limit_codes_are_retryable(code: int) -> None:
    result = classify(code)
    assert result.kind is ErrorClass.RETRYABLE and not result.lookup_first


@pytest.mark.parametrize("code", [10016, 10000, 170001, 170007, 170146])
def test_server_errors_and_timeouts_inside_bybit_are_ambiguous(code: int) -> None:
    result = classify(code)

    assert result.kind is ErrorClass.AMBIGUOUS and result.lookup_first and not result.duplicate
    assert "may exist" in result.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_5xx_is_ambiguous_even_without_a_ret_code(status: int) -> None:
    result = classify(None, http_status=status)

    assert result.kind is ErrorClass.AMBIGUOUS and result.code == status


def test_http_429_is_retryable_and_403_is_a_rejection() -> None:
    assert classify(None, http_status=429).kind is ErrorClass.RETRYABLE
    banned = classify(None, http_status=403)
    assert banned.kind is ErrorClass.REJECTED and "banned" in banned.message


def test_a_2xx_answer_without_a_ret_code_is_ambiguous() -> None:
    assert classify(None, http_status=200).kind is ErrorClass.AMBIGUOUS


@pytest.mark.parametrize(
    "exc",
    [
        requests.Timeout("read timed out"),
        requests.ReadTimeout("read timed out"),
        requests.ConnectTimeout("connect timed out"),
        socket.timeout("timed out"),  # noqa: UP041 - the name older code raises; an alias of TimeoutError
        TimeoutError("timed out"),
        requests.ConnectionError("connection reset"),
        ConnectionResetError("reset by peer"),
    ],
)
def test_timeouts_and_connection_errors_are_ambiguous(exc: BaseException) -> None:
    result = classify(None, exception=exc)

    assert result.kind is ErrorClass.AMBIGUOUS and result.lookup_first
    assert "looking it up by orderLinkId before anything else" in result.message


def test_the_exception_wins_over_a_stale_status() -> None:
    assert classify(110007, http_status=200, exception=requests.Timeout()).kind is ErrorClass.AMBIGUOUS


def test_success_or_nothing_is_not_classifiable() -> None:
    with pytest.raises(ValueError, match="success"):
        classify(0)
    with pytest.raises(ValueError, match="needs a ret_code"):
        classify(None)


class InvalidRequestError(Exception):
    """Shaped like pybit.exceptions.InvalidRequestError (status_code is the retCode)."""

    def __init__(self, message: str, status_code: int, resp_headers: dict[str, str] | None) -> None:
        super().__init__(message)
        self.message, self.status_code, self.resp_headers = message, status_code, resp_headers


class FailedRequestError(InvalidRequestError):
    """Shaped like pybit.exceptions.FailedRequestError (status_code is the HTTP status)."""


def test_pybit_errors_are_classified_by_their_code_and_headers() -> None:
    limited = classify_pybit_error(
        InvalidRequestError("Too many visits!", 10006, {"X-Bapi-Limit-Reset-Timestamp": "1672738134500"}),
        now=NOW,
    )
    assert limited.kind is ErrorClass.RETRYABLE and limited.retry_after_s == pytest.approx(0.5)

    rejected = classify_pybit_error(InvalidRequestError("ab not enough for new order", 110007, {}))
    assert rejected.kind is ErrorClass.REJECTED and rejected.code == 110007

    assert classify_pybit_error(FailedRequestError("Bad gateway", 502, {})).kind is ErrorClass.AMBIGUOUS
    # no response headers: the request failed locally after retries (pybit wraps the connection error)
    assert (
        classify_pybit_error(FailedRequestError("Connection aborted", 0, None)).kind is ErrorClass.AMBIGUOUS
    )
    assert classify_pybit_error(requests.ConnectionError("refused")).kind is ErrorClass.AMBIGUOUS


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter() -> None:
    rng = random.Random(7)
    for attempt in range(10):
        ceiling = min(5.0, 0.25 * 2**attempt)
        waits = [backoff_s(attempt, rng=rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > 0.8 * ceiling  # the jitter spans the window, not a fixed fraction of it


def test_backoff_is_reproducible_from_the_injected_random() -> None:
    first = [backoff_s(a, rng=random.Random(3)) for a in range(5)]
    second = [backoff_s(a, rng=random.Random(3)) for a in range(5)]
    assert first == second


def test_backoff_waits_at_least_bybits_retry_after_beyond_the_cap() -> None:
    rng = random.Random(1)
    waits = [backoff_s(0, rng=rng, retry_after=7.5) for _ in range(100)]
    assert all(7.5 <= w <= 7.75 for w in waits)


def test_a_huge_attempt_number_stays_at_the_cap() -> None:
    assert backoff_s(10_000, rng=random.Random(0)) <= 5.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"attempt": -1}, "attempt"),
        ({"attempt": 0, "base": 0.0}, "base"),
        ({"attempt": 0, "cap": 0.1}, "cap"),
        ({"attempt": 0, "retry_after": -1.0}, "retry_after"),
        ({"attempt": 0, "retry_after": float("nan")}, "retry_after"),
    ],
)
def test_backoff_refuses_bad_inputs_by_name(kwargs: dict[str, float], field: str) -> None:
    attempt = int(kwargs.pop("attempt"))
    with pytest.raises(ValueError, match=field):
        backoff_s(attempt, rng=random.Random(0), **kwargs)
