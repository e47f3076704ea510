"""Run Rasa's conversation tests (``tests/stories/``) against this checkout's model.

Starts the action server on a free port, runs ``rasa test core`` with
``--fail-on-prediction-errors``, and stops the action server again.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from switchboard import paths
from switchboard.stack import Stack, StackConfig, StackError
from switchboard.train import training_env


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: Optional[List[str]] = None) -> int:
    """Exit 0 when every test story passes."""
    stories = paths.ROOT / "tests" / "stories"
    out = paths.ROOT / "results"
    with tempfile.TemporaryDirectory(prefix="switchboard-stories-") as tmp:
        config = StackConfig(action_port=free_port(), data_dir=Path(tmp), log_dir=Path(tmp) / "logs")
        actions = Stack(config, only=["actions"])
        try:
            actions.start(timeout_s=120)
        except StackError as exc:
            print(f"could not start the action server: {exc}", file=sys.stderr)
            return 1
        env = training_env()
        env.update(
            {
                "SWITCHBOARD_ACTION_PORT": str(config.action_port),
                "SWITCHBOARD_TRACKER_DIALECT": "sqlite",
                "SWITCHBOARD_TRACKER_HOST": "",
                "SWITCHBOARD_TRACKER_DB": str(Path(tmp) / "tracker.db"),
                "SWITCHBOARD_TRACKER_USER": "",
                "SWITCHBOARD_TRACKER_PASSWORD": "",
            }
        )
        command = [
            sys.executable, "-m", "rasa", "test", "core",
            "--model", str(paths.model_path()),
            "--stories", str(stories),
            "--endpoints", str(paths.ROOT / "endpoints.yml"),
            "--out", str(out),
            "--fail-on-prediction-errors",
            *(argv or []),
        ]
        try:
            result = subprocess.run(command, cwd=paths.ROOT, env=env)
        finally:
            actions.stop()
    failed = out / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print(f"\nFailed conversation tests:\n{failed.read_text()}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
