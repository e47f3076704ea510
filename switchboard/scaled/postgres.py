"""The topology's PostgreSQL cluster (Debian's ``postgresql``): created in the run folder on first
start, run in the foreground by the supervisor, one database for the gateways and one for Rasa.

The server refuses to run as root, so when we are root it runs as the ``postgres`` system user
(``runuser``), as ``tests/postgres_support.py`` does. It listens on 127.0.0.1 only, with no
Unix socket, and every connection needs the password in ``secrets/postgres``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from switchboard.scaled.config import DB_USER
from switchboard.stack import Service, StackError

SYSTEM_USER = "postgres"


def pg_bin() -> Optional[Path]:
    """The newest installed PostgreSQL's ``bin`` folder, or None."""
    return next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def _as_server_user(argv: List[str]) -> List[str]:
    return ["runuser", "-u", SYSTEM_USER, "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Cluster:
    """A cluster in ``folder`` (``data/`` inside), served on 127.0.0.1:``port``."""

    folder: Path
    port: int
    password: str
    bin: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def initialise(self) -> bool:
        """Create the cluster on first start (initdb, password auth); whether it was created now."""
        if (self.data / "PG_VERSION").is_file():
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, SYSTEM_USER, SYSTEM_USER)
        os.chmod(self.folder, 0o700)
        password_file = self.folder / "initdb-password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        os.chmod(password_file, 0o600)
        if os.geteuid() == 0:
            shutil.chown(password_file, SYSTEM_USER, SYSTEM_USER)
        try:
            result = subprocess.run(
                _as_server_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", DB_USER,
                                 f"--pwfile={password_file}", "--auth=scram-sha-256", "--encoding=UTF8",
                                 "--locale=C.UTF-8", "--no-instructions"]),
                capture_output=True, text=True,
            )
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise StackError(f"initdb failed in {self.data} (the {SYSTEM_USER} user needs to reach this folder): "
                             f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return True

    def service(self) -> Service:
        """The server in the foreground; fast shutdown (SIGINT) when the topology stops."""
        argv = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "max_connections=200"]
        return Service("postgres", _as_server_user(argv), ready_check=self.accepting, on_ready=self.create_databases,
                       stop_signal=signal.SIGINT)

    def accepting(self) -> bool:
        """Whether the server accepts connections (``pg_isready``)."""
        result = subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                                capture_output=True)
        return result.returncode == 0

    def create_databases(self, names: Sequence[str] = ()) -> None:
        """Create the databases that do not exist yet (default: the gateway's and the tracker store's)."""
        import psycopg2
        from psycopg2 import sql

        from switchboard.scaled.config import GATEWAY_DB, TRACKER_DB

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, password=self.password,
                                      dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                for name in names or (GATEWAY_DB, TRACKER_DB):
                    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                    if cursor.fetchone() is None:
                        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
