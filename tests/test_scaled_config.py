"""The scaled topology's pieces that need no server: its variables, nginx's rendered config, Redis's
config, Rasa's endpoints file, each service's environment, and the supervisor's restart rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from switchboard.scaled.config import ScaledConfig, ScaledConfigError
from switchboard.scaled.nginx import TemplateError, render
from switchboard.scaled.redis_server import Redis
from switchboard.scaled.supervisor import Supervisor
from switchboard.scaled.topology import ENDPOINTS_FILE, Topology
from switchboard.stack import Stack, service_env

PUBLIC = {"SWITCHBOARD_GATEWAY_PORT": "18080", "SWITCHBOARD_RASA_PORT": "15005", "SWITCHBOARD_ACTION_PORT": "15055"}


def _topology(tmp_path: Path, **env: str) -> Topology:
    config = ScaledConfig.from_env({**PUBLIC, "SWITCHBOARD_DATA_DIR": str(tmp_path), **env})
    return Topology(config, postgres_password="pg-secret", redis_password="redis-secret")


def _envs(topology: Topology) -> Dict[str, Dict[str, str]]:
    """Each service's environment as Stack._spawn builds it."""
    base = service_env(topology.stack_config())
    result = {}
    for service in topology.services():
        env = {**base, **service.env}
        for name in service.hidden_env:
            env.pop(name, None)
        result[service.name] = env
    return result


# --- variables --------------------------------------------------------------------------


def test_instances_default_to_two_each_on_the_ports_after_the_balanced_one() -> None:
    config = ScaledConfig.from_env(PUBLIC)
    assert config.gateway_ports == [18081, 18082]
    assert config.rasa_ports == [15006, 15007]
    assert config.action_ports == [15056, 15057]


def test_instance_ports_set_the_number_of_instances() -> None:
    config = ScaledConfig.from_env({**PUBLIC, "SWITCHBOARD_GATEWAY_INSTANCE_PORTS": "9001,9002,9003",
                                    "SWITCHBOARD_RASA_INSTANCE_PORTS": "9101"})
    assert config.gateway_ports == [9001, 9002, 9003] and config.rasa_ports == [9101]


@pytest.mark.parametrize("env, named", [
    ({"SWITCHBOARD_GATEWAY_INSTANCE_PORTS": "9001,x"}, "SWITCHBOARD_GATEWAY_INSTANCE_PORTS"),
    ({"SWITCHBOARD_RASA_INSTANCE_PORTS": "9001,9001"}, "SWITCHBOARD_RASA_INSTANCE_PORTS"),
    ({"SWITCHBOARD_POSTGRES_PORT": "70000"}, "SWITCHBOARD_POSTGRES_PORT"),
    ({"SWITCHBOARD_REDIS_PORT": "18080"}, "18080"),  # the public port
])
def test_bad_ports_are_refused_with_the_variable_named(env: Dict[str, str], named: str) -> None:
    with pytest.raises(ScaledConfigError, match=named):
        ScaledConfig.from_env({**PUBLIC, **env})


# --- nginx ------------------------------------------------------------------------------


def test_render_replaces_every_placeholder_and_refuses_unknown_ones() -> None:
    assert render("a {{x}} $host {{y}}", {"x": "1", "y": "2"}) == "a 1 $host 2"
    with pytest.raises(TemplateError, match="missing"):
        render("{{missing}}", {})


def test_nginx_balances_each_role_and_keeps_its_files_in_the_run_folder(tmp_path: Path) -> None:
    topology = _topology(tmp_path, SWITCHBOARD_GATEWAY_HOST="0.0.0.0")
    nginx = topology.nginx()
    text = nginx.write_config().read_text()
    assert "{{" not in text and "}}" not in text
    prefix = str(topology.config.run_dir / "nginx")
    assert f"pid {prefix}/nginx.pid;" in text
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{temp}_temp_path {prefix}/temp/{temp};" in text
        assert (Path(prefix) / "temp" / temp).is_dir()
    assert "listen 0.0.0.0:18080;" in text  # the public port honours SWITCHBOARD_GATEWAY_HOST
    assert "listen 127.0.0.1:15005;" in text and "listen 127.0.0.1:15055;" in text
    for port in (18081, 18082, 15006, 15007, 15056, 15057):
        assert f"server 127.0.0.1:{port} " in text
    assert "/var/" not in text and "/etc/" not in text
    argv = nginx.argv()
    assert argv[1:] == ["-p", prefix, "-c", f"{prefix}/nginx.conf", "-e", "stderr", "-g", "daemon off;"]


def test_nginx_upgrades_websockets_with_long_timeouts(tmp_path: Path) -> None:
    text = _topology(tmp_path).nginx().write_config().read_text()
    websockets = text.split("location ~ ^/(ws|voice/ws)(/|$) {", 1)[1].split("}", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in websockets
    assert "proxy_set_header Connection $connection_upgrade;" in websockets
    assert "proxy_read_timeout 1h;" in websockets and "proxy_pass http://gateways;" in websockets
    assert "proxy_http_version 1.1;" in text.split("location ~", 1)[0].rsplit("server {", 1)[1]


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed (make setup-scaled)")
def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    nginx = _topology(tmp_path).nginx()
    nginx.write_config()
    result = subprocess.run([*nginx.argv()[:-2], "-t"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Redis and Rasa's endpoints ------------------------------------------------------------


def test_redis_listens_locally_with_a_password_and_keeps_nothing(tmp_path: Path) -> None:
    path = Redis(tmp_path / "redis", 16380, "redis-secret").write_config()
    lines = path.read_text().splitlines()
    assert {"bind 127.0.0.1", "port 16380", "requirepass redis-secret", 'save ""', "appendonly no"} <= set(lines)
    assert path.stat().st_mode & 0o077 == 0  # it holds the password


def _endpoint(env: Dict[str, str], kind: str):
    from rasa.utils.endpoints import read_endpoint_config

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return read_endpoint_config(str(ENDPOINTS_FILE), kind)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_rasa_gets_the_redis_lock_store_postgresql_tracker_and_balanced_actions(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    env = _envs(topology)["rasa-1"]
    lock = _endpoint(env, "lock_store")
    assert lock.type == "redis" and lock.url == "127.0.0.1"
    assert (lock.kwargs["port"], lock.kwargs["db"], lock.kwargs["password"]) == (
        str(topology.config.redis_port), "1", "redis-secret")
    tracker = _endpoint(env, "tracker_store")
    assert tracker.type == "components.tracker_store.RedactingSQLTrackerStore"
    assert (tracker.kwargs["dialect"], tracker.url, tracker.kwargs["port"], tracker.kwargs["db"]) == (
        "postgresql", "127.0.0.1", str(topology.config.postgres_port), "rasa_tracker")
    actions = _endpoint(env, "action_endpoint")
    assert actions.url == "http://127.0.0.1:15055/webhook"
    assert actions.headers == {"Authorization": f"Bearer {topology.config.action_token}"}


def test_endpoints_scaled_has_no_quoted_variables() -> None:
    """Rasa substitutes ${VAR} only in unquoted values."""
    for line in ENDPOINTS_FILE.read_text().splitlines():
        assert not ('"${' in line or "'${" in line), line


def test_the_single_process_endpoints_keep_the_in_memory_lock_store() -> None:
    endpoints = yaml.safe_load((ENDPOINTS_FILE.parent / "endpoints.yml").read_text())
    assert endpoints["lock_store"] == {"type": "in_memory"}


# --- each service's environment -------------------------------------------------------------


def test_gateways_share_postgresql_redis_and_the_rasa_balancer(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    envs = _envs(topology)
    for name, port in (("gateway-1", 18081), ("gateway-2", 18082)):
        env = envs[name]
        assert env["DATABASE_URL"] == f"postgresql://switchboard:pg-secret@127.0.0.1:{topology.config.postgres_port}/switchboard"
        assert env["SWITCHBOARD_REDIS_URL"] == f"redis://:redis-secret@127.0.0.1:{topology.config.redis_port}/0"
        assert env["SWITCHBOARD_RASA_URL"] == "http://127.0.0.1:15005"
        assert (env["SWITCHBOARD_GATEWAY_HOST"], env["SWITCHBOARD_GATEWAY_PORT"]) == ("127.0.0.1", str(port))
        assert env["SANIC_PROXIES_COUNT"] == "1"
        assert env["SWITCHBOARD_RASA_TOKEN"] == topology.config.rasa_token
        for secret in ("SWITCHBOARD_ACTION_TOKEN", "SWITCHBOARD_TRACKER_PASSWORD", "SWITCHBOARD_REDIS_PASSWORD"):
            assert secret not in env, secret


def test_rasa_and_actions_stay_out_of_the_gateway_database(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    envs = _envs(topology)
    for name in ("rasa-1", "rasa-2", "actions-1", "actions-2"):
        assert "DATABASE_URL" not in envs[name] and "SWITCHBOARD_REDIS_URL" not in envs[name], name
        assert envs[name]["SWITCHBOARD_ACTION_TOKEN"] == topology.config.action_token
    assert envs["rasa-1"]["TICKET_LOCK_LIFETIME"] == "30"
    assert "SWITCHBOARD_TRACKER_PASSWORD" not in envs["actions-1"]


def test_every_service_but_the_public_port_is_on_localhost(tmp_path: Path) -> None:
    topology = _topology(tmp_path, SWITCHBOARD_GATEWAY_HOST="0.0.0.0")
    services = {s.name: s for s in topology.services()}
    for name in ("rasa-1", "rasa-2"):
        argv = services[name].argv
        assert argv[argv.index("--interface") + 1] == "127.0.0.1"
        assert argv[argv.index("--endpoints") + 1] == str(ENDPOINTS_FILE)
        assert topology.config.rasa_token not in " ".join(argv).replace(f"--auth-token={topology.config.rasa_token}", "")
    for name in ("actions-1", "actions-2"):
        assert services[name].env["SANIC_HOST"] == "127.0.0.1"
    postgres = services["postgres"].argv
    assert "listen_addresses=127.0.0.1" in postgres and "unix_socket_directories=" in postgres
    assert [s.name for s in topology.services()] == [
        "postgres", "redis", "actions-1", "actions-2", "rasa-1", "rasa-2", "gateway-1", "gateway-2", "nginx"]
    assert [s.stage for s in topology.services()] == [0, 0, 1, 1, 1, 1, 1, 1, 2]


# --- the supervisor ---------------------------------------------------------------------------


def _sleeper(name: str, role: str, seconds: str = "60"):
    from switchboard.stack import Service

    return Service(name, [sys.executable, "-c", f"import time; time.sleep({seconds})"], role=role,
                   ready_check=lambda: True)


def _stack(tmp_path: Path, services: List) -> Stack:
    from switchboard.stack import StackConfig

    stack = Stack(StackConfig(data_dir=tmp_path, log_dir=tmp_path / "logs"), services=services)
    for service in services:
        stack._spawn(service)
    return stack


def test_a_dead_replica_is_started_again_and_a_dead_single_service_is_fatal(tmp_path: Path) -> None:
    lines: List[str] = []
    gateway, redis = _sleeper("gateway-1", "gateway"), _sleeper("redis", "redis")
    stack = _stack(tmp_path, [redis, gateway])
    supervisor = Supervisor(stack, say=lines.append)
    try:
        first = gateway.process
        stack.kill("gateway-1")
        assert supervisor.check() is None
        assert gateway.process is not first and gateway.process.poll() is None
        assert supervisor.restarts == {"gateway-1": 1}
        assert supervisor.check() is None and lines[-1] == "gateway-1 is ready again."
        stack.kill("redis")
        fatal = supervisor.check()
        assert fatal is not None and fatal.service is redis and "redis stopped unexpectedly" in fatal.reason
    finally:
        stack.stop()


def test_a_replica_that_dies_again_before_it_is_ready_is_fatal(tmp_path: Path) -> None:
    from switchboard.stack import Service

    crashing = Service("rasa-1", [sys.executable, "-c", "raise SystemExit(3)"], role="rasa", ready_check=lambda: False)
    stack = _stack(tmp_path, [crashing])
    supervisor = Supervisor(stack, say=lambda _line: None)
    try:
        crashing.process.wait()
        assert supervisor.check() is None  # restarted once
        crashing.process.wait()
        fatal = supervisor.check()
        assert fatal is not None and "exited again before it was ready (exit code 3)" in fatal.reason
    finally:
        stack.stop()
