"""Configuration from the environment: defaults, explicit booleans, clear errors."""

import pytest

from bot.settings import ConfigError, Settings, parse_bool


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.max_message_chars == 2000
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.database_url == "sqlite:///var/gateway.db"


def test_overrides() -> None:
    settings = Settings.from_env(
        {
            "SWITCHBOARD_GATEWAY_PORT": "9000",
            "SWITCHBOARD_RASA_PORT": "6000",
            "SWITCHBOARD_MAX_MESSAGE_CHARS": "50",
            "DATABASE_URL": "postgresql://u:p@db/switchboard",
        }
    )
    assert settings.port == 9000
    assert settings.rasa_url == "http://127.0.0.1:6000"
    assert settings.max_message_chars == 50
    assert settings.database_url == "postgresql://u:p@db/switchboard"


@pytest.mark.parametrize(
    "env, name",
    [
        ({"SWITCHBOARD_GATEWAY_PORT": "eighty"}, "SWITCHBOARD_GATEWAY_PORT"),
        ({"SWITCHBOARD_MAX_MESSAGE_CHARS": "0"}, "SWITCHBOARD_MAX_MESSAGE_CHARS"),
        ({"SWITCHBOARD_RASA_TIMEOUT": "-1"}, "SWITCHBOARD_RASA_TIMEOUT"),
    ],
)
def test_bad_values_name_the_variable(env, name) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("false", False), ("off", False), (None, False)])
def test_parse_bool(raw, expected) -> None:
    assert parse_bool(raw) is expected


def test_parse_bool_rejects_garbage() -> None:
    with pytest.raises(ConfigError):
        parse_bool("maybe")
