"""The Claude advisor's settings come from the environment only, and a bad one is refused by name."""

from __future__ import annotations

import typing

import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types.model import Model

from execdesk.advisors.claude_config import DEFAULT_MODEL, ClaudeConfig, ClaudeConfigError


def test_the_default_model_is_a_current_one_the_installed_sdk_lists():
    listed = {arg for part in typing.get_args(Model) for arg in typing.get_args(part)}
    assert DEFAULT_MODEL in listed and DEFAULT_MODEL not in DEPRECATED_MODELS
    assert ClaudeConfig.from_env({}).model == DEFAULT_MODEL


def test_without_a_key_claude_is_off_and_the_key_never_shows_in_repr(tmp_path):
    assert not ClaudeConfig.from_env({}).enabled
    key_file = tmp_path / "key"
    key_file.write_text("sk-ant-secret-123\n")
    config = ClaudeConfig.from_env({"ANTHROPIC_API_KEY_FILE": str(key_file), "EXECDESK_LLM_MODEL": "claude-opus-4-6"})
    assert config.enabled and config.api_key == "sk-ant-secret-123" and "secret" not in repr(config)
    assert config.cost_usd(1_000_000, 100_000) == pytest.approx(5.0 + 2.5)


@pytest.mark.parametrize("env, message", [
    ({"EXECDESK_LLM_TIMEOUT_SECONDS": "abc"}, "EXECDESK_LLM_TIMEOUT_SECONDS must be a number, got 'abc'"),
    ({"EXECDESK_LLM_TIMEOUT_SECONDS": "0"}, "EXECDESK_LLM_TIMEOUT_SECONDS must be a number between 0.5 and 120"),
    ({"EXECDESK_LLM_MAX_RETRIES": "1.5"}, "EXECDESK_LLM_MAX_RETRIES must be a whole number between 0 and 5"),
    ({"EXECDESK_LLM_PRICE_PER_MTOK": "3"}, "EXECDESK_LLM_PRICE_PER_MTOK must be 'input,output'"),
    ({"ANTHROPIC_API_KEY_FILE": "/no/such/key"}, "ANTHROPIC_API_KEY_FILE '/no/such/key' cannot be read"),
])
def test_a_bad_setting_is_refused_naming_it(env, message):
    with pytest.raises(ClaudeConfigError) as refused:
        ClaudeConfig.from_env(env)
    assert message in str(refused.value)


def test_an_unknown_models_cost_is_unknown_unless_priced():
    assert ClaudeConfig(model="claude-mythos-5").cost_usd(1000, 100) is None
    priced = ClaudeConfig.from_env({"EXECDESK_LLM_MODEL": "claude-mythos-5", "EXECDESK_LLM_PRICE_PER_MTOK": "2,10"})
    assert priced.cost_usd(1_000_000, 0) == pytest.approx(2.0)
