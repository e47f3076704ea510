"""Configuration from the environment: defaults, explicit booleans, clear errors."""

import os
import subprocess
import sys

import pytest

from bot.settings import ConfigError, Settings, parse_bool
from switchboard import paths


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.max_message_chars == 2000
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.database_url == "sqlite:///var/gateway.db"
    assert settings.rasa_in_flight == 4


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
        ({"SWITCHBOARD_RASA_IN_FLIGHT": "0"}, "SWITCHBOARD_RASA_IN_FLIGHT"),
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


def test_no_redis_url_means_the_in_process_hub() -> None:
    assert Settings.from_env({}).redis_url == ""
    assert Settings.from_env({"SWITCHBOARD_REDIS_URL": " "}).redis_url == ""
    url = "redis://127.0.0.1:6379/0"
    assert Settings.from_env({"SWITCHBOARD_REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize("url", [
    "localhost:6379", "http://127.0.0.1:6379", "redis://127.0.0.1:port/0", "redis://127.0.0.1:99999",
    "redis:///0", "redis://127.0.0.1:6379/zero", "redis://127.0.0.1:6379/0?socket_timeout=soon", "unix://",
])
def test_a_bad_redis_url_names_the_variable(url) -> None:
    with pytest.raises(ConfigError, match="SWITCHBOARD_REDIS_URL"):
        Settings.from_env({"SWITCHBOARD_REDIS_URL": url})


def test_a_bad_redis_url_does_not_echo_its_password() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"SWITCHBOARD_REDIS_URL": "redis://:hunter2@127.0.0.1:port/0"})
    assert "hunter2" not in str(error.value) and "127.0.0.1:port" in str(error.value)


def test_the_gateway_refuses_to_start_with_a_bad_redis_url(tmp_path) -> None:
    env = {**os.environ, "SWITCHBOARD_REDIS_URL": "localhost:6379", "SWITCHBOARD_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=paths.ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "configuration error: SWITCHBOARD_REDIS_URL" in done.stderr, done
