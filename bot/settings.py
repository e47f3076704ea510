"""Gateway configuration, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import urlsplit

from redis.asyncio.connection import parse_url

DEFAULT_MAX_MESSAGE_CHARS = 2000


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def parse_bool(raw: Optional[str], default: bool = False) -> bool:
    """Parse a boolean environment value explicitly ("false" is false)."""
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected a boolean (true/false), got {raw!r}")


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    try:
        return parse_bool(env.get(name), default)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple) -> str:
    value = (env.get(name) or default).strip()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


REDIS_SCHEMES = ("redis", "rediss", "unix")


def without_password(url: str) -> str:
    """``url`` with any credentials masked, for messages and logs."""
    if "@" not in url:
        return url
    scheme, separator, rest = url.partition("://")
    host = rest.rpartition("@")[2] if separator else url.rpartition("@")[2]
    return f"{scheme}://***@{host}" if separator else f"***@{host}"


def _redis_url(env: Mapping[str, str], name: str) -> str:
    """A Redis URL (``redis://host:port/db``, ``rediss://``, ``unix:///path``), or "" when unset."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return ""
    parts, shown = urlsplit(raw), repr(without_password(raw))
    example = "such as redis://127.0.0.1:6379/0"
    if parts.scheme not in REDIS_SCHEMES or not raw.startswith(f"{parts.scheme}://"):
        raise ConfigError(f"{name} must be a redis://, rediss:// or unix:// URL {example}, got {shown}")
    if parts.scheme == "unix":
        if not parts.path:
            raise ConfigError(f"{name}: a unix:// URL needs the socket's path (unix:///run/redis.sock), got {shown}")
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError unless the port is a number from 0 to 65535
        except ValueError:
            raise ConfigError(f"{name} has a bad port, got {shown} ({example})") from None
        if not parts.hostname:
            raise ConfigError(f"{name} needs a host, {example}; got {shown}")
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ConfigError(f"{name}: the database after the host must be a number, got {shown}")
    try:
        parse_url(raw)  # the options after "?", read as redis-py will read them
    except ValueError as error:
        raise ConfigError(f"{name}: {error} Got {shown}") from None
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything the gateway needs to run."""

    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    rasa_timeout_s: float = 30.0
    rasa_in_flight: int = 4
    database_url: str = "sqlite:///var/gateway.db"
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    max_body_bytes: int = 64 * 1024
    routing_file: str = "routing.yml"
    demo_agents: bool = True
    data_dir: str = "var"
    voice_no_input_s: float = 6.0
    voice_silence_ms: int = 1200
    voice_hold_ms: int = 550
    voice_pacing: float = 1.0
    voice_record: bool = True
    voice_retention_days: int = 30
    voice_on_no_input: str = "transfer"
    voice_blocklist: str = ""
    abandon_after_s: float = 120.0
    redis_url: str = ""  # empty: the in-process event hub (one gateway instance)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Build settings from ``SWITCHBOARD_*`` variables and ``DATABASE_URL``."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("SWITCHBOARD_DATA_DIR", "var"))
        return cls(
            host=env.get("SWITCHBOARD_GATEWAY_HOST", "127.0.0.1"),
            port=_int(env, "SWITCHBOARD_GATEWAY_PORT", 8080),
            rasa_url=env.get(
                "SWITCHBOARD_RASA_URL",
                f"http://127.0.0.1:{_int(env, 'SWITCHBOARD_RASA_PORT', 5005)}",
            ).rstrip("/"),
            rasa_token=env.get("SWITCHBOARD_RASA_TOKEN", ""),
            rasa_timeout_s=_float(env, "SWITCHBOARD_RASA_TIMEOUT", 30.0),
            rasa_in_flight=_int(env, "SWITCHBOARD_RASA_IN_FLIGHT", 4),
            database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'gateway.db'}",
            max_message_chars=_int(env, "SWITCHBOARD_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS),
            max_body_bytes=_int(env, "SWITCHBOARD_MAX_BODY_BYTES", 64 * 1024, minimum=1024),
            routing_file=env.get("SWITCHBOARD_ROUTING_FILE", "routing.yml"),
            demo_agents=_bool(env, "SWITCHBOARD_DEMO_AGENTS", True),
            data_dir=str(data_dir),
            voice_no_input_s=_float(env, "SWITCHBOARD_VOICE_NO_INPUT_SECONDS", 6.0),
            voice_pacing=_float(env, "SWITCHBOARD_VOICE_PACING", 1.0),
            voice_silence_ms=_int(env, "SWITCHBOARD_VOICE_SILENCE_MS", 1200, minimum=200),
            voice_hold_ms=_int(env, "SWITCHBOARD_VOICE_HOLD_MS", 550, minimum=200),
            voice_record=_bool(env, "SWITCHBOARD_VOICE_RECORD", True),
            voice_retention_days=_int(env, "SWITCHBOARD_RECORDING_RETENTION_DAYS", 30),
            voice_on_no_input=_choice(env, "SWITCHBOARD_VOICE_ON_NO_INPUT", "transfer", ("transfer", "hangup")),
            voice_blocklist=env.get("SWITCHBOARD_VOICE_BLOCKLIST", ""),
            abandon_after_s=_float(env, "SWITCHBOARD_ABANDON_AFTER_SECONDS", 120.0),
            redis_url=_redis_url(env, "SWITCHBOARD_REDIS_URL"),
        )
