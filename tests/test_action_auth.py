"""The action server answers only calls that carry the shared secret (SWITCHBOARD_ACTION_TOKEN).

A forged ``POST /webhook`` from any local process used to run actions (mark a caller as
verified, read a balance). Now ``actions/server.py`` refuses every call but ``/health``
without ``Authorization: Bearer <token>``, Rasa sends that header (``endpoints.yml``) and
the stack generates the token per run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from switchboard import paths
from switchboard.stack import StackConfig, _services, service_env
from tests.helpers import free_port, http, wait_until

ROOT = paths.ROOT
TOKEN = "test-action-token-0123456789"
VERSION = "3.6.2"


def action_call(action: str, slots: Optional[Dict[str, Any]] = None, sender: str = "x") -> Dict[str, Any]:
    """The smallest body Rasa's RemoteAction sends that rasa_sdk's executor accepts."""
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": {"intent": {"name": "greet", "confidence": 1.0}, "text": "hello", "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": VERSION,
    }


# --- in-process: the launcher's app over ASGI ------------------------------------------
# Sanic 21.12 is an ASGI app; sanic-testing is not installed, so a few lines drive it.


class AsgiClient:
    """Send requests to a Sanic app in this process, on one event loop, after its startup."""

    def __init__(self, app) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan_in: Optional[asyncio.Queue] = None
        self._lifespan_out: Optional[asyncio.Queue] = None
        self._lifespan_task: Optional[asyncio.Task] = None

    async def _lifespan(self, event: str) -> None:
        if self._lifespan_task is None:
            self._lifespan_in, self._lifespan_out = asyncio.Queue(), asyncio.Queue()
            scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
            self._lifespan_task = asyncio.ensure_future(
                self.app(scope, self._lifespan_in.get, self._lifespan_out.put)
            )
        await self._lifespan_in.put({"type": f"lifespan.{event}"})
        message = await asyncio.wait_for(self._lifespan_out.get(), 30)
        assert message["type"] == f"lifespan.{event}.complete", message

    def startup(self) -> None:
        self.loop.run_until_complete(self._lifespan("startup"))

    def shutdown(self) -> None:
        try:
            self.loop.run_until_complete(self._lifespan("shutdown"))
            task = self._lifespan_task
            if task is not None:
                # Sanic 21.12 goes on to treat the finished lifespan as a request and fails
                # (AttributeError 'request'): after shutdown.complete that is harmless.
                self.loop.run_until_complete(asyncio.wait([task], timeout=10))
                if not task.done():
                    task.cancel()
                elif not task.cancelled():
                    task.exception()  # retrieved, so asyncio does not warn about it
        finally:
            self.loop.close()

    async def _request(self, method: str, target: str, headers: Dict[str, str], body: bytes):
        path, _, query = target.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 5055),
        }
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        sent: List[Dict[str, Any]] = []

        async def receive() -> Dict[str, Any]:
            if incoming:
                return incoming.pop(0)
            await asyncio.sleep(3600)  # the client never disconnects early
            return {"type": "http.disconnect"}

        async def send(message: Dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(self.app(scope, receive, send), 30)
        start = next(m for m in sent if m["type"] == "http.response.start")
        raw = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        response_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
        return start["status"], response_headers, raw

    def request(
        self,
        method: str,
        path: str,
        json_body: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Tuple[int, Dict[str, str], Any]:
        headers = dict(headers or {})
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        status, response_headers, raw = self.loop.run_until_complete(self._request(method, path, headers, body))
        try:
            decoded = json.loads(raw.decode() or "null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            decoded = raw.decode("utf-8", "replace")
        return status, response_headers, decoded


@pytest.fixture(scope="module")
def client() -> Iterator[AsgiClient]:
    """The app ``actions.server.create_app`` builds, started as the server starts it."""
    from sanic import Sanic
    from sanic.touchup import TouchUp

    from actions.server import create_app

    # Sanic 21.12 rewrites some of its own methods at start-up, once per process; put them
    # back afterwards so a later in-process Sanic app in this test run can start too.
    originals = {(target, name): getattr(target, name) for target, name in TouchUp._registry}
    app = create_app("actions", token=TOKEN)
    running = AsgiClient(app)
    running.startup()
    try:
        yield running
    finally:
        running.shutdown()
        for (target, name), method in originals.items():
            setattr(target, name, method)
        Sanic._app_registry.pop(app.name, None)


def _assert_unauthorized(status: int, headers: Dict[str, str], body: Any) -> None:
    assert status == 401, body
    assert headers["content-type"].startswith("application/json")
    assert body["error"] == "unauthorized"
    assert isinstance(body["message"], str) and body["message"]
    assert TOKEN not in json.dumps(body)
    assert headers.get("www-authenticate", "").lower().startswith("bearer")


def test_webhook_without_token_is_refused(client: AsgiClient, caplog) -> None:
    caplog.set_level("WARNING", logger="actions.server")
    status, headers, body = client.request("POST", "/webhook", action_call("action_greet"))
    _assert_unauthorized(status, headers, body)
    refused = [r.getMessage() for r in caplog.records if r.name == "actions.server"]
    assert any("POST /webhook" in line and "127.0.0.1" in line for line in refused), refused
    assert not any(TOKEN in line for line in refused)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        TOKEN,  # no scheme
        f"Basic {TOKEN}",
        "Bearer ",
        "Bearer",
    ],
)
def test_webhook_with_wrong_token_is_refused(client: AsgiClient, caplog, authorization: str) -> None:
    caplog.set_level("WARNING", logger="actions.server")
    status, headers, body = client.request(
        "POST", "/webhook", action_call("action_greet"), headers={"Authorization": authorization}
    )
    _assert_unauthorized(status, headers, body)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


def test_token_in_query_string_is_not_accepted(client: AsgiClient) -> None:
    status, headers, body = client.request("POST", f"/webhook?token={TOKEN}", action_call("action_greet"))
    _assert_unauthorized(status, headers, body)


def test_forged_identity_call_runs_nothing(client: AsgiClient) -> None:
    """The hostile test's call: a forged 'verified' caller asking for the account summary."""
    forged = action_call(
        "action_account_summary",
        slots={"identity_verified": True, "verified": True, "account_number": "10000001"},
    )
    status, headers, body = client.request("POST", "/webhook", forged)
    _assert_unauthorized(status, headers, body)
    assert "events" not in body and "responses" not in body


def test_webhook_with_right_token_runs_the_action(client: AsgiClient) -> None:
    status, _headers, body = client.request(
        "POST", "/webhook", action_call("action_greet"), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200, body
    assert body["events"] == []
    assert [r.get("response") for r in body["responses"]] == ["utter_greet"]


def test_scheme_is_case_insensitive(client: AsgiClient) -> None:
    status, _headers, body = client.request(
        "POST", "/webhook", action_call("action_greet"), headers={"Authorization": f"bearer {TOKEN}"}
    )
    assert status == 200, body


def test_health_stays_open(client: AsgiClient) -> None:
    status, _headers, body = client.request("GET", "/health")
    assert (status, body) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/actions"), ("OPTIONS", "/webhook"), ("GET", "/webhook"), ("GET", "/nothing-here"), ("POST", "/health/")],
)
def test_every_other_route_needs_the_token(client: AsgiClient, method: str, path: str) -> None:
    status, headers, body = client.request(method, path, headers={"Origin": "http://evil.example"})
    _assert_unauthorized(status, headers, body)
    assert "access-control-allow-origin" not in headers


def test_action_list_with_token(client: AsgiClient) -> None:
    status, _headers, body = client.request("GET", "/actions", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert {"name": "action_greet"} in body


def test_no_cors_for_browsers(client: AsgiClient) -> None:
    """Only Rasa calls the action server: no origin is allowed, even with the token."""
    status, headers, _body = client.request(
        "GET", "/actions", headers={"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"}
    )
    assert status == 200
    assert "access-control-allow-origin" not in headers


def test_create_app_refuses_an_empty_token(monkeypatch) -> None:
    from actions.server import ConfigError, create_app, token_from_env

    monkeypatch.delenv("SWITCHBOARD_ACTION_TOKEN", raising=False)
    with pytest.raises(ConfigError):
        token_from_env()
    for bad in ("", "   ", "two words", "tab\there", "caf\u00e9"):
        with pytest.raises(ConfigError):
            create_app("actions", token=bad)  # refused before any app is built


def test_module_has_no_import_time_side_effects() -> None:
    """Importing actions.server builds no app, reads no token and starts nothing."""
    code = (
        "import sys, actions.server as s; "
        "assert 'rasa_sdk.endpoint' not in sys.modules, 'rasa_sdk imported at import time'; "
        "assert 'sanic' not in sys.modules, 'sanic imported at import time'; "
        "print('ok')"
    )
    env = {k: v for k, v in os.environ.items() if k != "SWITCHBOARD_ACTION_TOKEN"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- the launcher refuses to start without a token -------------------------------------


@pytest.mark.parametrize("value", [None, "", "  "])
def test_launcher_refuses_to_start_without_token(value: Optional[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SWITCHBOARD_ACTION_TOKEN"}
    if value is not None:
        env["SWITCHBOARD_ACTION_TOKEN"] = value
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "refusing to start" in result.stderr
    assert "SWITCHBOARD_ACTION_TOKEN" in result.stderr


# --- the Rasa side: endpoints.yml sends the token in a header ---------------------------


def _endpoint_env(monkeypatch, token: Optional[str], port: int = 5055) -> None:
    env = {
        "SWITCHBOARD_ACTION_PORT": str(port),
        "SWITCHBOARD_TRACKER_DIALECT": "sqlite",
        "SWITCHBOARD_TRACKER_HOST": "",
        "SWITCHBOARD_TRACKER_DB": "/tmp/unused-tracker.db",
        "SWITCHBOARD_TRACKER_USER": "",
        "SWITCHBOARD_TRACKER_PASSWORD": "",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if token is None:
        monkeypatch.delenv("SWITCHBOARD_ACTION_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SWITCHBOARD_ACTION_TOKEN", token)


def _action_endpoint():
    from rasa.core.utils import read_endpoints_from_path

    return read_endpoints_from_path(str(ROOT / "endpoints.yml")).action


def test_rasa_substitutes_the_token_into_the_action_endpoint_header(monkeypatch) -> None:
    _endpoint_env(monkeypatch, "s3cret-Token_from-env", port=5999)
    endpoint = _action_endpoint()
    assert endpoint.url == "http://127.0.0.1:5999/webhook"
    assert endpoint.headers == {"Authorization": "Bearer s3cret-Token_from-env"}
    assert endpoint.params == {} and endpoint.token is None  # never in the URL
    assert "s3cret" not in endpoint.url


def test_rasa_refuses_endpoints_without_the_token(monkeypatch) -> None:
    """With the variable unset, Rasa fails loudly instead of sending a literal ``${...}``."""
    from rasa.shared.exceptions import RasaException

    _endpoint_env(monkeypatch, None)
    with pytest.raises(RasaException, match="SWITCHBOARD_ACTION_TOKEN"):
        _action_endpoint()


# --- the stack's wiring ---------------------------------------------------------------


def test_stack_generates_a_token_per_run_and_passes_it() -> None:
    first, second = StackConfig(), StackConfig()
    assert first.action_token and second.action_token and first.action_token != second.action_token
    assert len(first.action_token) >= 32
    assert first.action_token != first.rasa_token
    env = service_env(first)
    assert env["SWITCHBOARD_ACTION_TOKEN"] == first.action_token
    services = {s.name: s for s in _services(first)}
    actions = services["actions"]
    assert actions.argv[1:3] == ["-m", "actions.server"]
    assert first.action_token not in " ".join(actions.argv)  # not visible in ps
    assert actions.env.get("SANIC_HOST") == "127.0.0.1"
    assert actions.ready_url.endswith("/health")
    assert "SWITCHBOARD_ACTION_TOKEN" not in services["rasa"].hidden_env
    assert "SWITCHBOARD_ACTION_TOKEN" in services["gateway"].hidden_env


def test_stack_token_can_be_set_from_the_environment() -> None:
    assert StackConfig.from_env({"SWITCHBOARD_ACTION_TOKEN": "fixed-token"}).action_token == "fixed-token"
    assert StackConfig.from_env({"SWITCHBOARD_ACTION_TOKEN": ""}).action_token  # empty: random


# --- the real process -----------------------------------------------------------------


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """``python -m actions.server`` on a free port with the token, as the stack starts it."""
    tmp = tmp_path_factory.mktemp("action-server")
    port = free_port()
    log_path = tmp / "actions.log"
    env = {**service_env(StackConfig(data_dir=tmp, action_port=port, action_token=TOKEN))}
    env.pop("SANIC_HOST", None)  # the launcher's own default: 127.0.0.1
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: process.poll() is None and http("GET", f"{url}/health", timeout=5)[0] == 200, timeout=120):
            pytest.fail(f"the action server did not start:\n{log_path.read_text()[-4000:]}")
        yield {"url": url, "port": port, "log": log_path, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _listening_addresses(port: int) -> List[str]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # LISTEN
                found.append(address)
    return found


@pytest.mark.stack
def test_real_action_server_refuses_forged_calls(action_server) -> None:
    url = action_server["url"]
    status, body = http("POST", f"{url}/webhook", action_call("action_greet"))
    assert status == 401 and body["error"] == "unauthorized", body
    status, body = http(
        "POST", f"{url}/webhook", action_call("action_greet"), headers={"Authorization": "Bearer forged"}
    )
    assert status == 401 and body["error"] == "unauthorized", body
    status, body = http("GET", f"{url}/actions")
    assert status == 401
    assert http("GET", f"{url}/health")[0] == 200

    status, body = http(
        "POST", f"{url}/webhook", action_call("action_greet"), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200, body
    assert [r.get("response") for r in body["responses"]] == ["utter_greet"]

    assert wait_until(lambda: "refused POST /webhook" in action_server["log"].read_text(), timeout=10)
    assert TOKEN not in action_server["log"].read_text()
    assert "forged" not in action_server["log"].read_text()  # nor the token presented
    assert _listening_addresses(action_server["port"]) == ["0100007F"]  # 127.0.0.1 only


@pytest.mark.stack
def test_rasa_endpoint_config_reaches_the_real_action_server(action_server, monkeypatch) -> None:
    """Rasa's own client (EndpointConfig.request, what RemoteAction calls) with endpoints.yml."""
    from rasa.utils.endpoints import ClientResponseError

    _endpoint_env(monkeypatch, TOKEN, port=action_server["port"])
    result = asyncio.run(_action_endpoint().request(method="post", json=action_call("action_greet")))
    assert [r.get("response") for r in result["responses"]] == ["utter_greet"]

    _endpoint_env(monkeypatch, "not-the-token", port=action_server["port"])
    with pytest.raises(ClientResponseError) as refused:
        asyncio.run(_action_endpoint().request(method="post", json=action_call("action_greet")))
    assert refused.value.status == 401


def test_a_rasa_token_that_starts_with_a_dash_reaches_rasa_as_the_token() -> None:
    # secrets.token_urlsafe starts with "-" once in 64: as a separate argument, argparse took it
    # for an option and Rasa exited with status 2 at start-up.
    from rasa.__main__ import create_argument_parser

    config = StackConfig(rasa_token="-Xy_starts-with-a-dash")
    rasa = next(service for service in _services(config) if service.name == "rasa")
    module = rasa.argv.index("switchboard.rasa_cli")
    arguments = create_argument_parser().parse_args(rasa.argv[module + 1:])
    assert arguments.auth_token == "-Xy_starts-with-a-dash"
