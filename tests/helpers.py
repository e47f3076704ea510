"""Helpers shared by the tests: free ports, HTTP calls, waiting, finding processes."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from switchboard.ports import free_port  # noqa: F401 - the tests take it from here


def http(
    method: str,
    url: str,
    body: Optional[bytes | Dict[str, Any]] = None,
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 60.0,
) -> Tuple[int, Any]:
    """Send a request; return the status and the decoded JSON body (or text)."""
    headers = dict(headers or {})
    data: Optional[bytes]
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    else:
        data = body
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw.decode() or "null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return status, raw.decode("utf-8", "replace")


def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (urllib.error.URLError, OSError):
            pass  # not listening yet
        time.sleep(interval)
    return False


def _live_processes(file: str, matches: Callable[[bytes], bool]) -> List[int]:
    """PIDs of live (not zombie) processes other than this one whose ``/proc/<pid>/<file>`` matches."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            content = (entry / file).read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z" and matches(content):
            found.append(int(entry.name))
    return found


def processes_with_env(key: str, value: str) -> List[int]:
    """PIDs of live processes whose environment has ``key=value`` (to find orphans)."""
    needle = f"{key}={value}".encode()
    return _live_processes("environ", lambda environ: needle in environ.split(b"\0"))


def write_routing(path: Path, *, open_now: bool, auto_assign: bool = False) -> Path:
    """routing.yml with one site that is always open (or never), so tests do not depend on the clock."""
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "routing.yml").read_text(encoding="utf-8"))
    config["sites"] = {
        "everywhere": {
            "timezone": "UTC",
            "languages": ["en", "fr", "ro", "uk", "lt", "zh"],
            "hours": {"mon-sun": "00:00-24:00"} if open_now else {},
        }
    }
    config["auto_assign"] = auto_assign
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


async def ws_frames(ws, count: int, timeout: float = 30.0) -> List[Dict[str, Any]]:
    """Read ``count`` JSON frames from a websocket client."""
    import asyncio

    return [json.loads(await asyncio.wait_for(ws.recv(), timeout)) for _ in range(count)]


async def ws_until(ws, predicate, timeout: float = 60.0) -> Dict[str, Any]:
    """Read JSON frames until one satisfies ``predicate``; return it."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching websocket frame in time")
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if predicate(frame):
            return frame


def pids_with_cmdline(*needles: bytes) -> List[int]:
    """PIDs of live processes whose command line (NUL-separated) contains every needle."""
    return _live_processes("cmdline", lambda cmdline: all(needle in cmdline for needle in needles))


def established_remote_ports(pid: int) -> List[int]:
    """Remote ports of the process's established TCP connections over IPv4 (from /proc)."""
    try:
        inodes = {
            os.readlink(f"/proc/{pid}/fd/{fd}")[len("socket:["):-1]
            for fd in os.listdir(f"/proc/{pid}/fd")
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")
        }
        lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return []
    ports = []
    for line in lines:
        fields = line.split()
        if fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            ports.append(int(fields[2].split(":")[1], 16))
    return ports
