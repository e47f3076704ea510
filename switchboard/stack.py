"""Start and supervise the whole stack: Rasa, the action server and the gateway.

``python -m switchboard.stack`` is what ``make run`` calls. Each service runs in its own
process group and dies with the supervisor (``PR_SET_PDEATHSIG``), so Ctrl-C, SIGTERM
and even ``kill -9`` of the supervisor leave no orphans. The integration tests use the
same :class:`Stack` on free ports, and ``python -m switchboard.scaled`` (``make run-scaled``)
runs its own list of services through it.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Deque, Dict, List, Mapping, Optional

from switchboard import paths, served_model
from switchboard.served_model import RasaEndpoint
from switchboard.train import training_env

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the supervisor goes away."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: Ctrl-C and SIGTERM still stop the children


READY_LINE = "Press Ctrl-C to stop."  # the banner's last line: start-up is over


@dataclass
class StackConfig:
    """Ports, paths and secrets of one running stack."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    data_dir: Path = field(default_factory=paths.data_dir)
    model: Path = field(default_factory=paths.model_path)
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    database_url: Optional[str] = None
    log_dir: Optional[Path] = None
    extra_env: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "StackConfig":
        """Read ``SWITCHBOARD_*`` variables (see README, Configuration)."""
        env = os.environ if env is None else env
        config = cls(
            gateway_host=env.get("SWITCHBOARD_GATEWAY_HOST", "127.0.0.1"),
            gateway_port=int(env.get("SWITCHBOARD_GATEWAY_PORT", 8080)),
            rasa_port=int(env.get("SWITCHBOARD_RASA_PORT", 5005)),
            action_port=int(env.get("SWITCHBOARD_ACTION_PORT", 5055)),
            data_dir=paths.data_dir(env),
            model=paths.model_path(env),
            database_url=env.get("DATABASE_URL") or None,
        )
        if env.get("SWITCHBOARD_RASA_TOKEN"):
            config.rasa_token = env["SWITCHBOARD_RASA_TOKEN"]
        if env.get("SWITCHBOARD_ACTION_TOKEN"):
            config.action_token = env["SWITCHBOARD_ACTION_TOKEN"]
        return config

    @property
    def gateway_url(self) -> str:
        host = "127.0.0.1" if self.gateway_host in ("0.0.0.0", "") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"


TAIL_LINES = 40  # lines of a service's output kept for the message when it dies


@dataclass
class Service:
    """One child process and how to tell it is ready.

    ``ready_url`` answers 200 once the service is ready, unless ``ready_check`` says instead.
    Services start by ``stage``: every service of a stage is spawned, then each is waited for
    and its ``on_ready`` run, before the next stage starts. ``role`` is what the service is
    (``actions``, ``rasa``, ``gateway``, …); ``name`` tells instances of one role apart.
    """

    name: str
    argv: List[str]
    ready_url: str = ""
    env: Dict[str, str] = field(default_factory=dict)
    hidden_env: List[str] = field(default_factory=list)  # names this service must not inherit
    role: str = ""
    stage: int = 0
    ready_check: Optional[Callable[[], bool]] = None
    on_ready: Optional[Callable[[], None]] = None
    stop_signal: signal.Signals = signal.SIGTERM
    process: Optional[subprocess.Popen] = None
    log: Optional[IO[bytes]] = None
    tail: Deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))

    def __post_init__(self) -> None:
        self.role = self.role or self.name

    def is_ready(self) -> bool:
        """Whether the service answers its readiness check now."""
        return self.ready_check() if self.ready_check is not None else http_ok(self.ready_url)


class StackError(RuntimeError):
    """A service failed to start or died; ``service`` names it when one is to blame."""

    def __init__(self, message: str, service: Optional[str] = None) -> None:
        super().__init__(message)
        self.service = service


def service_env(config: StackConfig) -> Dict[str, str]:
    """The environment of every service: Rasa's settings plus this stack's ports, paths and tokens.

    ``SWITCHBOARD_ACTION_TOKEN`` is the action server's shared secret: Rasa sends it in the
    ``Authorization`` header of every action call (``endpoints.yml``) and the action server
    (``actions/server.py``) refuses calls without it.
    """
    env = training_env()
    tracker_db = config.data_dir / "tracker.db"
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "SWITCHBOARD_ACTION_PORT": str(config.action_port),
            "SWITCHBOARD_RASA_PORT": str(config.rasa_port),
            "SWITCHBOARD_RASA_URL": config.rasa_url,
            "SWITCHBOARD_RASA_TOKEN": config.rasa_token,
            "SWITCHBOARD_ACTION_TOKEN": config.action_token,
            "SWITCHBOARD_GATEWAY_HOST": config.gateway_host,
            "SWITCHBOARD_GATEWAY_PORT": str(config.gateway_port),
            "SWITCHBOARD_DATA_DIR": str(config.data_dir),
        }
    )
    env.setdefault("SWITCHBOARD_TRACKER_DIALECT", "sqlite")
    env.setdefault("SWITCHBOARD_TRACKER_HOST", "")
    env.setdefault("SWITCHBOARD_TRACKER_DB", str(tracker_db))
    env.setdefault("SWITCHBOARD_TRACKER_USER", "")
    env.setdefault("SWITCHBOARD_TRACKER_PASSWORD", "")
    if config.database_url:
        env["DATABASE_URL"] = config.database_url
    env.update(config.extra_env)
    return env


def _services(config: StackConfig) -> List[Service]:
    python = sys.executable
    root = str(paths.ROOT)
    return [
        Service(
            "actions",
            # rasa_sdk's server behind the token check (SWITCHBOARD_ACTION_TOKEN, from service_env);
            # /health stays open for the readiness check.
            [python, "-m", "actions.server", "--actions", "actions", "--port", str(config.action_port)],
            f"{config.action_url}/health",
            env={"SANIC_HOST": "127.0.0.1"},  # localhost only (also the launcher's default)
        ),
        Service(
            "rasa",
            [
                python, "-m", "switchboard.rasa_cli", "run",  # Rasa with switchboard/rasa_speedups.py
                # One argument: a random token may start with "-", which argparse would take
                # for an option (Rasa then exits 2 at start-up, once in 64 starts).
                "--enable-api", f"--auth-token={config.rasa_token}",
                "--interface", "127.0.0.1", "--port", str(config.rasa_port),
                "--model", str(config.model),
                "--endpoints", f"{root}/endpoints.yml",
                "--credentials", f"{root}/credentials.yml",
            ],
            f"{config.rasa_url}/status?token={config.rasa_token}",
            # One OpenMP thread for the sentence embedding: Rasa runs one graph at a time, and
            # under load the other core is busy with the next request's other services. Two
            # threads cut one embedding from 16.5 to 10.8 ms but cost 21 ms of CPU instead of
            # 16, and far more when the second core is taken (spinning threads).
            env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
        ),
        # The gateway faces customers and never calls the action server: it does not get its secret.
        Service(
            "gateway", [python, "-m", "bot"], f"{config.gateway_url}/health",
            hidden_env=["SWITCHBOARD_ACTION_TOKEN"],
        ),
    ]


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 (within 2 s)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _pump(service: Service, stream: IO[bytes], sink: IO[str]) -> None:
    """Copy a child's output to ours, each line prefixed with the service name; keep its tail."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        service.tail.append(line)
        sink.write(f"[{service.name}] {line}\n")
        sink.flush()


class Stack:
    """The services, started together and stopped together."""

    def __init__(
        self,
        config: StackConfig,
        console: IO[str] = sys.stdout,
        only: Optional[List[str]] = None,
        services: Optional[List[Service]] = None,
    ) -> None:
        """``services``: what to run instead of ``make run``'s three (in start order; stopped in reverse)."""
        self.config = config
        self.console = console
        chosen = _services(config) if services is None else services
        self.services = [s for s in chosen if only is None or s.name in only]
        self._env = service_env(config)

    def _spawn(self, service: Service) -> None:
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            service.log = open(self.config.log_dir / f"{service.name}.log", "ab")
            stdout: object = service.log
        else:
            stdout = subprocess.PIPE
        env = {**self._env, **service.env}
        for name in service.hidden_env:
            env.pop(name, None)
        service.tail.clear()
        service.process = subprocess.Popen(
            service.argv,
            cwd=paths.ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        if stdout is subprocess.PIPE:
            threading.Thread(
                target=_pump, args=(service, service.process.stdout, self.console), daemon=True
            ).start()

    def _wait_ready(self, service: Service, deadline: float) -> None:
        while time.monotonic() < deadline:
            if service.process is None or service.process.poll() is not None:
                code = service.process.returncode if service.process else None
                raise StackError(f"{service.name} exited during start-up (exit code {code})", service.name)
            if service.is_ready():
                return
            time.sleep(0.5)
        raise StackError(f"{service.name} was not ready within the start-up timeout", service.name)

    def seed_customer_store(self) -> None:
        """Load the sample customers the first time (``--if-empty``)."""
        result = subprocess.run(
            [sys.executable, "-m", "actions.crm.seed", "--if-empty"],
            cwd=paths.ROOT, env=self._env, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise StackError(f"seeding the customer store failed: {result.stderr.strip()}")
        self.console.write(result.stdout)

    def start(self, timeout_s: float = 300.0) -> None:
        """Seed the customer store, start every service stage by stage and wait until each is ready.

        With one Rasa server, its address is announced for ``make publish`` (served_model).
        """
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        try:
            for stage in sorted({s.stage for s in self.services}):
                if any(s.role == "actions" and s.stage == stage for s in self.services):
                    self.seed_customer_store()  # its database is ready once the stages before are
                started = [s for s in self.services if s.stage == stage]
                for service in started:
                    self._spawn(service)
                for service in started:
                    self._wait_ready(service, deadline)
                    if service.on_ready is not None:
                        service.on_ready()
        except BaseException:
            self.stop()
            raise
        if [s.role for s in self.services].count("rasa") == 1:
            served_model.announce(self.config.data_dir, RasaEndpoint(self.config.rasa_url, self.config.rasa_token))

    def service(self, name: str) -> Service:
        """The service called ``name``."""
        return next(s for s in self.services if s.name == name)

    def restart(self, name: str, timeout_s: float = 300.0) -> None:
        """Stop one service and start it again (used by the restart tests)."""
        service = self.service(name)
        self._terminate(service, timeout_s=20.0)
        self._spawn(service)
        self._wait_ready(service, time.monotonic() + timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL one service's whole process group, as a crash would."""
        service = self.service(name)
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()

    def respawn(self, name: str) -> None:
        """Start a service that has exited again, without waiting for it (the supervisor checks it)."""
        service = self.service(name)
        if service.process is not None and service.process.poll() is None:
            raise StackError(f"{name} is still running")
        if service.log is not None:
            service.log.close()
            service.log = None
        self._spawn(service)

    def log_tail(self, service: Service, lines: int = 20) -> List[str]:
        """The last lines a service wrote (from its log file when the stack writes logs)."""
        if self.config.log_dir is not None:
            path = self.config.log_dir / f"{service.name}.log"
            try:
                return path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            except OSError:
                return []
        return list(service.tail)[-lines:]

    def first_exit(self) -> Optional[Service]:
        """A service that has exited, if any."""
        return next((s for s in self.services if s.process and s.process.poll() is not None), None)

    @staticmethod
    def _terminate(service: Service, timeout_s: float) -> None:
        process = service.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, service.stop_signal)
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        if service.log is not None:
            service.log.close()
            service.log = None

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stop the services in reverse start order: the gateway first, the action server last."""
        served_model.withdraw(self.config.data_dir)
        for service in reversed(self.services):
            self._terminate(service, timeout_s)

    def pids(self) -> List[int]:
        """Process ids of the services started (for tests that look for orphans)."""
        return [s.process.pid for s in self.services if s.process is not None]


def demo_logins() -> List[str]:
    """The demo agents' logins from content/agents.yml, for the banner."""
    import yaml

    from bot.settings import ConfigError, parse_bool

    path = paths.ROOT / "content" / "agents.yml"
    try:
        if not parse_bool(os.environ.get("SWITCHBOARD_DEMO_AGENTS"), default=True):
            return []
    except ConfigError:
        return []  # the gateway refuses to start and names the variable
    agents = yaml.safe_load(path.read_text(encoding="utf-8"))["agents"]
    return ["  demo desk logins (at /desk, or POST /api/auth/login):"] + [
        f"    {a['username']:8} {a['password']:18} {a['role']:10} {', '.join(a['skills'])} | {', '.join(a['languages'])}"
        for a in agents
    ]


def _banner(config: StackConfig) -> str:
    return "\n".join(
        [
            "",
            "Switchboard is running:",
            f"  chat widget  {config.gateway_url}/chat",
            f"  agent desk   {config.gateway_url}/desk   (supervisor view for supervisors and admins)",
            f"  gateway API  {config.gateway_url}/api/openapi.json   (POST /api/chat, /ws/chat, /ws/desk, GET /health)",
            f"  rasa         {config.rasa_url}   (localhost only; API token in SWITCHBOARD_RASA_TOKEN)",
            f"  actions      {config.action_url}   (localhost only; calls need SWITCHBOARD_ACTION_TOKEN)",
            f"  data         {config.data_dir}",
            f"  model        {config.model}",
            "",
            f"  try: curl -s {config.gateway_url}/api/chat -d '{{\"sender\":\"me\",\"message\":\"hello\"}}'",
            "",
            *demo_logins(),
            "",
            READY_LINE,
            "",
        ]
    )


def run_in_foreground(
    stack: Stack,
    name: str,
    start: Callable[[], None],
    banner: Callable[[], str],
    fatal: Callable[[], Optional[str]],
    start_failure: Callable[[StackError], List[str]] = lambda exc: [],
) -> int:
    """Start ``stack`` with ``start``, print ``banner()``, then poll ``fatal()`` (a message when
    something died that stops everything) until Ctrl-C or SIGTERM; stop and return the exit
    code: 0 after a stop request, 1 after a failed start or a fatal death, 130 when
    interrupted during start-up (``start`` then stops what it began). ``start_failure`` gives
    extra lines to print for a failed start."""
    stopping = threading.Event()

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, interrupt)  # during start-up a signal interrupts the wait
    try:
        start()
    except StackError as exc:
        print(f"\n{name} failed to start: {exc}", file=sys.stderr)
        extra = start_failure(exc)
        if extra:
            print("\n".join(extra), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped during start-up.", file=sys.stderr)
        return 130
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(banner(), flush=True)
    exit_code = 0
    while not stopping.wait(1.0):
        message = fatal()
        if message is not None:
            print(message, file=sys.stderr, flush=True)
            exit_code = 1
            break
    print(f"\nStopping {name}...", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return exit_code


def main() -> int:
    """Run the stack in the foreground until Ctrl-C or SIGTERM."""
    config = StackConfig.from_env()
    if not config.model.is_file():
        print(f"No trained model at {config.model}: run `make train` first.", file=sys.stderr)
        return 1
    stack = Stack(config)

    def first_death() -> Optional[str]:
        dead = stack.first_exit()
        if dead is None:
            return None
        return f"\n{dead.name} stopped unexpectedly (exit code {dead.process.returncode}); stopping."

    return run_in_foreground(stack, "Switchboard", stack.start, lambda: _banner(config), first_death)


if __name__ == "__main__":
    sys.exit(main())
