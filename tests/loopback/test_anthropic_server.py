"""The loopback Anthropic server, checked through the real `anthropic` SDK (2.13): what the advisor
will see for tool use, text answers, each error status, retries, timeouts and malformed bodies."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import anthropic
import pytest

from tests.loopback.anthropic_fixtures import TEST_MODEL, anthropic_client
from tests.loopback.anthropic_server import (
    AnthropicLoopbackServer,
    error_reply,
    overloaded,
    rate_limited,
    raw_reply,
    server_error,
    slow,
    text_reply,
    tool_reply,
)

TOOL = {"name": "propose_slice", "description": "Propose the next child order.",
        "input_schema": {"type": "object", "properties": {"qty": {"type": "string"}}, "required": ["qty"]}}
FORCED = {"type": "tool", "name": "propose_slice"}



def _ask(client: anthropic.Anthropic, prompt: str = "BTCUSDT mid 64000, spread 1.2 bps", **extra: Any):
    return client.messages.create(model=TEST_MODEL, max_tokens=512, system="You are an execution advisor.",
                                  messages=[{"role": "user", "content": prompt}], **extra)


def _post(server: AnthropicLoopbackServer, body: object, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """A hand-written client, for requests the SDK refuses to build."""
    request = urllib.request.Request(f"{server.url}/v1/messages", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_forced_tool_use_returns_the_exact_input_and_usage(anthropic_server):
    anthropic_server.script(tool_reply("propose_slice", {"qty": "0.125", "why": ["thin book"]},
                                       input_tokens=321, output_tokens=45, text="Book is thin."))
    with anthropic_client(anthropic_server) as client:
        message = _ask(client, tools=[TOOL], tool_choice=FORCED)
    lead, tool = message.content
    assert (lead.type, lead.text) == ("text", "Book is thin.")
    assert (tool.type, tool.name, tool.input) == ("tool_use", "propose_slice", {"qty": "0.125", "why": ["thin book"]})
    assert tool.id.startswith("toolu_") and message.id.startswith("msg_")
    assert (message.stop_reason, message.stop_sequence, message.model) == ("tool_use", None, TEST_MODEL)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (321, 45)
    assert message._request_id == anthropic_server.requests[0]["request_id"]


def test_default_token_counts_grow_with_the_request_and_ids_are_unique(anthropic_server):
    anthropic_server.script(tool_reply("propose_slice", {"qty": "1"}),
                            tool_reply("propose_slice", {"qty": "1", "note": "x" * 400}))
    with anthropic_client(anthropic_server) as client:
        short, long = _ask(client, "hi"), _ask(client, "depth " * 500)
    assert long.usage.input_tokens > short.usage.input_tokens > 0
    assert long.usage.output_tokens > short.usage.output_tokens > 0
    assert short.id != long.id and short.content[0].id != long.content[0].id


def test_text_only_reply_is_a_text_block_ending_the_turn(anthropic_server):
    anthropic_server.script(text_reply("I would rather not use the tool."))
    with anthropic_client(anthropic_server) as client:
        message = _ask(client, tools=[TOOL], tool_choice=FORCED)
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "I would rather not use the tool."
    assert message.stop_reason == "end_turn"


def test_wrong_key_is_an_authentication_error_and_consumes_no_reply(anthropic_server):
    anthropic_server.script(tool_reply("propose_slice", {"qty": "2"}))
    with anthropic_client(anthropic_server, api_key="sk-ant-test-wrong") as client:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            _ask(client)
    assert (caught.value.status_code, caught.value.type) == (401, "authentication_error")
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    with anthropic_client(anthropic_server) as client:
        assert _ask(client).content[0].input == {"qty": "2"}


def test_protocol_checks_for_hand_written_clients(anthropic_server):
    key = {"x-api-key": anthropic_server.api_key}
    good = {"model": TEST_MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    status, body = _post(anthropic_server, good, key)
    assert status == 400 and body["error"]["message"].startswith("anthropic-version")
    versioned = {**key, "anthropic-version": "2023-06-01"}
    status, body = _post(anthropic_server, {k: v for k, v in good.items() if k != "max_tokens"}, versioned)
    assert (status, body["type"], body["error"]["type"]) == (400, "error", "invalid_request_error")
    assert "max_tokens" in body["error"]["message"] and body["request_id"].startswith("req_")
    status, body = _post(anthropic_server, good, versioned)
    assert (status, body["type"], body["model"]) == (200, "message", TEST_MODEL)


def test_rate_limit_without_retries_raises_rate_limit_error(anthropic_server):
    anthropic_server.script(rate_limited(retry_after=0.2))
    with anthropic_client(anthropic_server) as client, pytest.raises(anthropic.RateLimitError) as caught:
        _ask(client)
    assert (caught.value.status_code, caught.value.type) == (429, "rate_limit_error")
    assert caught.value.response.headers["retry-after"] == "0.2"


def test_rate_limit_with_one_retry_waits_retry_after_then_succeeds(anthropic_server):
    anthropic_server.script(rate_limited(retry_after=0.2), tool_reply("propose_slice", {"qty": "3"}))
    started = time.monotonic()
    with anthropic_client(anthropic_server, max_retries=1) as client:
        message = _ask(client)
    assert message.content[0].input == {"qty": "3"}
    first, second = anthropic_server.requests
    assert [first["status"], second["status"]] == [429, 200]
    assert second["received_at"] - first["received_at"] >= 0.19
    assert 0.19 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize(("reply", "error_class", "status"), [
    (overloaded(), anthropic.OverloadedError, 529),
    (server_error(), anthropic.InternalServerError, 500),
])
def test_server_side_errors_map_to_sdk_classes(anthropic_server, reply, error_class, status):
    anthropic_server.script(reply)
    with anthropic_client(anthropic_server) as client, pytest.raises(error_class) as caught:
        _ask(client)
    assert caught.value.status_code == status
    assert type(caught.value) is error_class  # 500 must not come back as OverloadedError, nor 529 as plain 5xx


def test_should_retry_false_stops_the_sdk_retrying(anthropic_server):
    anthropic_server.script(error_reply(500, "api_error", "do not retry", should_retry=False))
    with anthropic_client(anthropic_server, max_retries=2) as client, pytest.raises(anthropic.InternalServerError):
        _ask(client)
    assert len(anthropic_server.requests) == 1


def test_slow_reply_past_the_timeout_is_a_timeout_error_at_the_timeout(anthropic_server):
    anthropic_server.script(slow(tool_reply("propose_slice", {"qty": "1"}), 5.0))
    started = time.monotonic()
    with anthropic_client(anthropic_server, timeout=0.3) as client, pytest.raises(anthropic.APITimeoutError):
        _ask(client)
    assert 0.25 <= time.monotonic() - started < 1.5


def test_slow_reply_within_the_timeout_arrives_late(anthropic_server):
    anthropic_server.script(slow(text_reply("late"), 0.2))
    started = time.monotonic()
    with anthropic_client(anthropic_server) as client:
        assert _ask(client).content[0].text == "late"
    assert time.monotonic() - started >= 0.19


def test_slow_reply_does_not_hold_up_other_requests(anthropic_server):
    anthropic_server.script(slow(text_reply("slow"), 0.6), text_reply("fast"))

    def slow_caller() -> None:
        with anthropic_client(anthropic_server) as client:
            _ask(client)

    worker = threading.Thread(target=slow_caller)
    worker.start()
    while not anthropic_server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    with anthropic_client(anthropic_server) as client:
        assert _ask(client).content[0].text == "fast"
    assert time.monotonic() - started < 0.3 and worker.is_alive()
    worker.join(timeout=2)


def test_stopping_the_server_ends_a_slow_reply_and_its_thread_at_once():
    before = set(threading.enumerate())
    server = AnthropicLoopbackServer().__enter__()
    server.script(slow(text_reply("never"), 30.0))
    outcome: list[BaseException] = []

    def call() -> None:
        with anthropic_client(server, timeout=20) as client:
            try:
                _ask(client)
            except anthropic.APIError as err:
                outcome.append(err)

    worker = threading.Thread(target=call)
    worker.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    worker.join(timeout=5)
    assert not worker.is_alive() and isinstance(outcome[0], anthropic.APIConnectionError)
    for thread in set(threading.enumerate()) - before:  # the sleeping handler thread must end too
        thread.join(timeout=2)
        assert not thread.is_alive(), thread.name
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("reply", "error_class"), [
    (raw_reply(200, "<html>oops</html>", {"Content-Type": "text/html"}), anthropic.APIResponseValidationError),
    (raw_reply(200, '{"id": "msg_1", "type": "message"}'), anthropic.APIResponseValidationError),
    (raw_reply(502, "<html>bad gateway</html>", {"Content-Type": "text/html"}), anthropic.InternalServerError),
    # anthropic 2.13 lets a non-JSON body labelled application/json escape as json.JSONDecodeError
    (raw_reply(200, "not json at all"), ValueError),
])
def test_malformed_bodies_raise(anthropic_server, reply, error_class):
    anthropic_server.script(reply)
    with anthropic_client(anthropic_server) as client, pytest.raises(error_class):
        _ask(client)


def test_request_log_shows_system_tools_and_tool_choice(anthropic_server):
    with anthropic_client(anthropic_server) as client:
        _ask(client, tools=[TOOL], tool_choice=FORCED)
    (entry,) = anthropic_server.requests
    assert entry["path"] == "/v1/messages" and entry["authenticated"] is True
    assert entry["body"]["system"] == "You are an execution advisor."
    assert entry["body"]["tools"] == [TOOL] and entry["body"]["tool_choice"] == FORCED
    assert entry["headers"]["anthropic-version"] and entry["received_at"] <= time.monotonic()


def test_responder_computes_the_reply_from_the_request(anthropic_server):
    anthropic_server.script(text_reply("scripted, but the responder wins"))
    anthropic_server.responder = lambda body: tool_reply(body["tool_choice"]["name"], {"echo": body["model"]})
    with anthropic_client(anthropic_server) as client:
        message = _ask(client, tools=[TOOL], tool_choice=FORCED)
    assert (message.content[0].name, message.content[0].input) == ("propose_slice", {"echo": TEST_MODEL})


def test_api_key_never_appears_in_server_logs(anthropic_server, caplog):
    caplog.set_level(logging.DEBUG, logger="tests.loopback.anthropic_server")
    anthropic_server.script(tool_reply("propose_slice", {"qty": "1"}))
    with anthropic_client(anthropic_server) as client:
        _ask(client)
    with anthropic_client(anthropic_server, api_key="sk-ant-test-leaked") as client, pytest.raises(
            anthropic.AuthenticationError):
        _ask(client)
    server_lines = [r.getMessage() for r in caplog.records if r.name == "tests.loopback.anthropic_server"]
    assert len(server_lines) == 2
    for secret in (anthropic_server.api_key, "sk-ant-test-leaked"):
        assert not any(secret in line for line in server_lines)
        assert secret not in repr(anthropic_server.requests)
