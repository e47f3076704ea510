"""docker-compose.yml describes the scaled topology that ``make run-scaled`` runs: every command
names a real module or file, every variable is one the code reads, and each role gets what it
needs and none of the secrets the local topology keeps from it. (No Docker daemon runs here:
this reads the file.)"""

from __future__ import annotations

import importlib.util
import re
from typing import Any, Dict, Set

import pytest
import yaml

from switchboard import paths
from switchboard.scaled.nginx import COMPOSE_CONF, compose_config
from switchboard.scaled.topology import ENDPOINTS_FILE, HIDDEN

ROOT = paths.ROOT
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: Dict[str, Dict[str, Any]] = COMPOSE["services"]
OURS = {name: spec for name, spec in SERVICES.items() if "build" in spec}  # the project's image
SOURCE_FOLDERS = ("bot", "actions", "components", "switchboard", "voice", "pii")
LAUNCHERS = ("switchboard/stack.py", "switchboard/scaled/")  # they set variables: setting is not reading
# Read by libraries rather than by our code: Sanic (SANIC_*), Rasa's lock store, OpenMP.
LIBRARY_VARIABLES = {"SANIC_HOST", "SANIC_PROXIES_COUNT", "TICKET_LOCK_LIFETIME", "OMP_NUM_THREADS"}
ENDPOINT_VARIABLES = set(re.findall(r"\$\{(\w+)\}", ENDPOINTS_FILE.read_text(encoding="utf-8")))


def _read_by_code() -> Set[str]:
    """Every quoted upper-case name in the runtime code: the variables it can read."""
    names: Set[str] = set()
    for folder in SOURCE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix().startswith(LAUNCHERS):
                continue
            names |= set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", path.read_text(encoding="utf-8")))
    return names


READ_BY_CODE = _read_by_code()


def test_the_project_image_runs_the_gateway_rasa_and_the_action_server() -> None:
    assert {"gateway", "rasa", "actions"} <= set(OURS)
    assert {"postgres", "redis", "nginx"} <= set(SERVICES)
    for name in ("gateway", "rasa", "actions"):
        assert OURS[name]["deploy"]["replicas"] == "${SWITCHBOARD_REPLICAS:-2}", name


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_command_runs_a_real_module_with_real_files(name: str) -> None:
    command = OURS[name]["command"]
    assert command[:2] == [".venv/bin/python", "-m"], command
    module = command[2]
    assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"
    for flag in ("--endpoints", "--credentials"):
        if flag in command:
            assert (ROOT / command[command.index(flag) + 1]).is_file(), f"{name}: {flag} file missing"
    if "--actions" in command:
        assert importlib.util.find_spec(command[command.index("--actions") + 1]) is not None
    if "--model" in command:
        cache = re.search(r"SWITCHBOARD_CACHE=(\S+)", (ROOT / "Dockerfile").read_text()).group(1)
        assert command[command.index("--model") + 1] == f"{cache}/models"  # where `make train` puts it in the image


def test_files_mounted_from_the_checkout_exist() -> None:
    for name, spec in SERVICES.items():
        for volume in spec.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name}: {source} is missing"


def test_nginx_config_is_the_rendered_template() -> None:
    assert COMPOSE_CONF.read_text(encoding="utf-8") == compose_config(), (
        "deploy/nginx.conf is stale: run `.venv/bin/python -m switchboard.scaled.nginx`")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["nginx"]["volumes"]


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_variable_is_one_the_code_reads(name: str) -> None:
    unknown = set(OURS[name].get("environment", {})) - READ_BY_CODE - ENDPOINT_VARIABLES - LIBRARY_VARIABLES
    assert not unknown, f"{name}: nothing reads {sorted(unknown)}"


def test_each_role_gets_what_it_needs() -> None:
    env = {name: set(spec.get("environment", {})) for name, spec in OURS.items()}
    assert {"DATABASE_URL", "SWITCHBOARD_RASA_URL", "SWITCHBOARD_RASA_TOKEN", "SWITCHBOARD_REDIS_URL",
            "SWITCHBOARD_GATEWAY_HOST", "SANIC_PROXIES_COUNT"} <= env["gateway"]
    assert ENDPOINT_VARIABLES | {"TICKET_LOCK_LIFETIME"} <= env["rasa"]
    assert {"SWITCHBOARD_ACTION_TOKEN", "SANIC_HOST"} <= env["actions"]
    assert OURS["gateway"]["environment"]["SWITCHBOARD_RASA_URL"] == "http://nginx:5005"
    assert OURS["rasa"]["environment"]["SWITCHBOARD_ACTION_URL"] == "http://nginx:5055"


@pytest.mark.parametrize("role", ["gateway", "rasa", "actions"])
def test_no_role_gets_a_secret_the_local_topology_keeps_from_it(role: str) -> None:
    given = set(OURS[role].get("environment", {}))
    assert not given & set(HIDDEN[role]), sorted(given & set(HIDDEN[role]))


def test_secrets_come_from_the_environment_never_from_the_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "SWITCHBOARD_RASA_TOKEN", "SWITCHBOARD_ACTION_TOKEN"):
        assert f"${{{secret}:?" in text, f"{secret} must be required from .env"
    example = (ROOT / "deploy" / "example.env").read_text(encoding="utf-8")
    assert all(f"{s}=\n" in example for s in ("POSTGRES_PASSWORD", "REDIS_PASSWORD"))


def test_the_tracker_database_is_created_with_the_gateways() -> None:
    init = (ROOT / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
    assert f"CREATE DATABASE {OURS['rasa']['environment']['SWITCHBOARD_TRACKER_DB']} " in init
    assert SERVICES["postgres"]["environment"]["POSTGRES_DB"] in OURS["gateway"]["environment"]["DATABASE_URL"]
