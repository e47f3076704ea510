"""Run Rasa's conversation tests (``tests/stories/``) against this checkout's model.

``rasa test`` replays each test story: it runs NLU on the customer's text and checks
every predicted action, taking slot events from the story itself (custom actions are
not executed; the pytest suite covers them through the real stack).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from switchboard import paths
from switchboard.stack import StackConfig, service_env


def main(argv: Optional[List[str]] = None) -> int:
    """Exit 0 when every test story passes."""
    out = paths.ROOT / "results"
    with tempfile.TemporaryDirectory(prefix="switchboard-stories-") as tmp:
        # endpoints.yml needs its variables; the tracker store goes to a throw-away SQLite file.
        throwaway_tracker = {
            "SWITCHBOARD_TRACKER_DIALECT": "sqlite", "SWITCHBOARD_TRACKER_HOST": "",
            "SWITCHBOARD_TRACKER_DB": str(Path(tmp) / "tracker.db"),
            "SWITCHBOARD_TRACKER_USER": "", "SWITCHBOARD_TRACKER_PASSWORD": "",
        }
        env = service_env(StackConfig(data_dir=Path(tmp), extra_env=throwaway_tracker))
        command = [
            sys.executable, "-m", "rasa", "test", "core",
            "--model", str(paths.model_path()),
            "--stories", str(paths.ROOT / "tests" / "stories"),
            "--endpoints", str(paths.ROOT / "endpoints.yml"),
            "--out", str(out),
            "--fail-on-prediction-errors",
            *(argv or []),
        ]
        result = subprocess.run(command, cwd=paths.ROOT, env=env)
    failed = out / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print(f"\nFailed conversation tests:\n{failed.read_text()}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
