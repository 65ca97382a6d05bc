from __future__ import annotations

from pathlib import Path

import pytest

from execdesk.bybit.config import BybitConfig, BybitConfigError
from execdesk.env import ConfigError


def test_defaults_to_testnet_with_bybits_documented_hosts() -> None:
    config = BybitConfig.from_env({})

    assert config.environment == "testnet"
    assert config.testnet and not config.demo
    assert config.rest_url == "https://api-testnet.bybit.com"
    assert config.public_ws_url("linear") == "wss://stream-testnet.bybit.com/v5/public/linear"
    assert config.private_ws_url() == "wss://stream-testnet.bybit.com/v5/private"
    assert not config.has_credentials
    assert config.environment_banner() == "BYBIT TESTNET"


def test_demo_trades_on_api_demo_and_reads_mainnet_public_data() -> None:
    config = BybitConfig.from_env({"EXECDESK_BYBIT_ENV": "demo"})

    assert config.demo and not config.testnet
    assert config.rest_url == "https://api-demo.bybit.com"
    assert config.private_ws_url() == "wss://stream-demo.bybit.com/v5/private"
    # stream-demo serves private topics only: public market data comes from mainnet
    assert config.public_ws_url("spot") == "wss://stream.bybit.com/v5/public/spot"
    assert config.environment_banner() == "BYBIT DEMO TRADING"


def test_mainnet_is_refused_without_the_allow_flag() -> None:
    for environ in (
        {"EXECDESK_BYBIT_ENV": "mainnet"},
        {"EXECDESK_BYBIT_ENV": "mainnet", "EXECDESK_ALLOW_MAINNET": "0"},
    ):
        with pytest.raises(BybitConfigError, match="EXECDESK_ALLOW_MAINNET=1"):
            BybitConfig.from_env(environ)
    with pytest.raises(ValueError, match="real money"):
        BybitConfig(environment="mainnet", rest_url="https://api.bybit.com")


def test_mainnet_with_the_allow_flag_uses_the_production_hosts_and_warns_in_the_banner() -> None:
    config = BybitConfig.from_env({"EXECDESK_BYBIT_ENV": "MainNet", "EXECDESK_ALLOW_MAINNET": "1"})

    assert config.environment == "mainnet" and not config.testnet and not config.demo
    assert config.rest_url == "https://api.bybit.com"
    assert config.public_ws_url("linear") == "wss://stream.bybit.com/v5/public/linear"
    assert config.private_ws_url() == "wss://stream.bybit.com/v5/private"
    assert config.environment_banner() == "BYBIT MAINNET — REAL MONEY"


def test_an_unknown_environment_names_the_variable_and_the_valid_values() -> None:
    with pytest.raises(ValueError, match=r"EXECDESK_BYBIT_ENV='prod'.*testnet, demo, mainnet"):
        BybitConfig.from_env({"EXECDESK_BYBIT_ENV": "prod"})


def test_a_bad_setting_is_also_a_config_error_for_start_up_code() -> None:
    with pytest.raises(ConfigError):
        BybitConfig.from_env({"EXECDESK_BYBIT_ENV": "prod"})


def test_endpoint_overrides_strip_the_trailing_slash_and_keep_the_standard_paths() -> None:
    config = BybitConfig.from_env(
        {"EXECDESK_BYBIT_REST_URL": "http://127.0.0.1:9000/", "EXECDESK_BYBIT_WS_URL": "ws://127.0.0.1:9001/"}
    )

    assert config.rest_url == "http://127.0.0.1:9000"
    assert config.public_ws_url("linear") == "ws://127.0.0.1:9001/v5/public/linear"
    assert config.private_ws_url() == "ws://127.0.0.1:9001/v5/private"
    assert config.endpoints_overridden
    assert config.environment_banner() == "BYBIT TESTNET · endpoint http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("EXECDESK_BYBIT_REST_URL", "ws://127.0.0.1:9000", "http or https"),
        ("EXECDESK_BYBIT_REST_URL", "127.0.0.1:9000", "http or https"),
        ("EXECDESK_BYBIT_REST_URL", "https://", "http or https"),
        ("EXECDESK_BYBIT_REST_URL", "https://api.example.com?x=1", "without query"),
        ("EXECDESK_BYBIT_REST_URL", "http://127.0.0.1:99999", "invalid port"),
        ("EXECDESK_BYBIT_WS_URL", "https://127.0.0.1:9001", "ws or wss"),
        ("EXECDESK_BYBIT_WS_URL", "wss://stream example.com", "whitespace"),
    ],
)
def test_a_malformed_endpoint_override_is_refused_by_name(name: str, value: str, problem: str) -> None:
    with pytest.raises(BybitConfigError, match=name) as caught:
        BybitConfig.from_env({name: value})
    assert problem in str(caught.value)


def test_credentials_come_from_the_variables() -> None:
    config = BybitConfig.from_env(
        {"EXECDESK_BYBIT_API_KEY": "KEY1234567", "EXECDESK_BYBIT_API_SECRET": "s3cr3t"}
    )

    assert (config.api_key, config.api_secret) == ("KEY1234567", "s3cr3t")
    assert config.has_credentials


def test_credentials_come_from_files_when_the_variables_are_unset(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("filekey\n")
    (tmp_path / "secret").write_text("  filesecret\n")

    config = BybitConfig.from_env(
        {
            "EXECDESK_BYBIT_API_KEY_FILE": str(tmp_path / "key"),
            "EXECDESK_BYBIT_API_SECRET_FILE": str(tmp_path / "secret"),
        }
    )

    assert (config.api_key, config.api_secret) == ("filekey", "filesecret")


def test_an_unreadable_or_empty_secret_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(BybitConfigError, match="EXECDESK_BYBIT_API_SECRET_FILE=.*cannot be read"):
        BybitConfig.from_env({"EXECDESK_BYBIT_API_KEY": "k", "EXECDESK_BYBIT_API_SECRET_FILE": str(missing)})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(BybitConfigError, match="is empty"):
        BybitConfig.from_env(
            {"EXECDESK_BYBIT_API_KEY": "k", "EXECDESK_BYBIT_API_SECRET_FILE": str(tmp_path / "empty")}
        )


def test_a_key_without_its_secret_is_refused() -> None:
    with pytest.raises(BybitConfigError, match="EXECDESK_BYBIT_API_SECRET"):
        BybitConfig.from_env({"EXECDESK_BYBIT_API_KEY": "k"})
    with pytest.raises(BybitConfigError, match="EXECDESK_BYBIT_API_KEY"):
        BybitConfig.from_env({"EXECDESK_BYBIT_API_SECRET": "s"})


def test_the_secret_never_appears_in_repr_or_str() -> None:
    config = BybitConfig.from_env(
        {"EXECDESK_BYBIT_API_KEY": "ABCDEFGHIJ", "EXECDESK_BYBIT_API_SECRET": "TopSecret99"}
    )

    for text in (repr(config), str(config), f"{config}", repr([config])):
        assert "TopSecret99" not in text
        assert "ABCDEFGHIJ" not in text
        assert "api_secret='***'" in text
        assert "api_key='ABCD…'" in text


def test_order_rates_default_to_bybits_per_uid_limits() -> None:
    config = BybitConfig.from_env({})

    assert config.order_rate("linear") == 10.0
    assert config.order_rate("spot") == 20.0


def test_order_rates_can_be_configured() -> None:
    config = BybitConfig.from_env(
        {"EXECDESK_BYBIT_ORDER_RATE_LINEAR": "4", "EXECDESK_BYBIT_ORDER_RATE_SPOT": "2.5"}
    )

    assert (config.order_rate("linear"), config.order_rate("spot")) == (4.0, 2.5)


@pytest.mark.parametrize("value", ["0", "-3", "abc", "inf", "nan"])
def test_an_order_rate_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(BybitConfigError, match=f"EXECDESK_BYBIT_ORDER_RATE_SPOT={value!r}"):
        BybitConfig.from_env({"EXECDESK_BYBIT_ORDER_RATE_SPOT": value})


def test_unknown_categories_are_refused() -> None:
    config = BybitConfig.from_env({})
    with pytest.raises(BybitConfigError, match="category='futures'"):
        config.public_ws_url("futures")
    with pytest.raises(BybitConfigError, match="category='option'"):
        config.order_rate("option")


def test_an_invalid_allow_flag_is_refused() -> None:
    with pytest.raises(BybitConfigError, match="EXECDESK_ALLOW_MAINNET='maybe'"):
        BybitConfig.from_env({"EXECDESK_BYBIT_ENV": "mainnet", "EXECDESK_ALLOW_MAINNET": "maybe"})
