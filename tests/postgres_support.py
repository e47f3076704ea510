"""A throwaway PostgreSQL server for the tests (Debian's ``postgresql``): a cluster in a temporary
folder on a free port, owned by the ``postgres`` system user, started once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest

from tests.helpers import free_port

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def as_postgres(args: List[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the ``postgres`` user (the server refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, check=True, capture_output=True, text=True)


class PostgresServer:
    """A running cluster; :meth:`new_database` gives each test its own database."""

    def __init__(self, port: int) -> None:
        self.port = port

    def new_database(self, prefix: str = "test") -> str:
        """A fresh empty database; its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server."""
    if PG_BIN is None:
        pytest.fail("PostgreSQL is not installed: run `make setup-test` (it installs Debian's postgresql)")
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"])
    as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "pg.log"), "-w", "start",
                 "-o", f"-p {port} -k {base} -h 127.0.0.1 -c fsync=off"])
    try:
        yield PostgresServer(port)
    finally:
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)
