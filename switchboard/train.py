"""Train the Rasa model into the shared cache: ``python -m switchboard.train``.

Rasa fingerprints every component and keeps the results in its training cache
(``RASA_CACHE_DIRECTORY``, outside the clone), so unchanged data and config are not
retrained: the run only re-packages the model, in seconds. Each clone writes one
fixed-name model file, so two clones with different data never serve each other's model.

The model is trained into a temporary file beside the final one and moved into place
only when training succeeded, so a failed training never replaces a working model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, List, Optional

from switchboard import paths
from switchboard.training_log import TrainingLog


def training_env() -> dict:
    """Environment for Rasa commands: no telemetry, quiet TensorFlow, cache outside the clone."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "RASA_CACHE_DIRECTORY": str(paths.rasa_training_cache()),
        }
    )
    return env


def train_command(
    out_dir: Path, model_name: str, extra: Optional[List[str]] = None, root: Path = paths.ROOT
) -> List[str]:
    """The ``rasa train`` command line for ``root``'s config, domain and data (this checkout's
    by default), writing ``out_dir/model_name.tar.gz``. Rasa runs with the project's training
    speed-ups (:mod:`switchboard.rasa_speedups`)."""
    return [
        sys.executable, "-m", "switchboard.rasa_cli", "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain"),
        "--data", str(root / "data"),
        "--out", str(out_dir),
        "--fixed-model-name", model_name,
        *(extra or []),
    ]


def train_log_path() -> Path:
    """Where Rasa's full output of the last training is kept."""
    return paths.data_dir() / "train.log"


def train(
    target: Path, extra: Optional[List[str]] = None, root: Path = paths.ROOT, console: IO[str] = sys.stdout
) -> bool:
    """Train ``root``'s content into ``target``; on failure ``target`` is left as it was.
    True when trained. Progress and real problems go to ``console`` (see
    :mod:`switchboard.training_log`); Rasa's whole output to :func:`train_log_path`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    log = TrainingLog(root, train_log_path(), console)
    print(f"Training from {root} (Rasa's cache skips what did not change) ...", file=console, flush=True)
    with tempfile.TemporaryDirectory(prefix=".training-", dir=target.parent) as scratch:
        name = "candidate"
        process = subprocess.Popen(
            train_command(Path(scratch), name, extra, root), cwd=paths.ROOT, env=training_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.feed(line)
        returncode = process.wait()
        log.finish()
        candidate = Path(scratch) / f"{name}.tar.gz"
        if returncode != 0 or not candidate.is_file():
            return False
        os.replace(candidate, target)
    return True


def main(argv: Optional[List[str]] = None) -> int:
    """Train (or re-package from cache) and print where the model is."""
    target = paths.model_path()
    started = time.monotonic()
    if not train(target, argv):
        print(f"Training failed; see the messages above. {target} was not changed.", file=sys.stderr)
        return 1
    print(f"Model: {target} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
