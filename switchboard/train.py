"""Train the Rasa model into the shared cache: ``python -m switchboard.train``.

Rasa fingerprints every component and keeps the results in its training cache
(``RASA_CACHE_DIRECTORY``, outside the clone), so unchanged data and config are not
retrained: the run only re-packages the model, in seconds. Each clone writes one
fixed-name model file, so two clones with different data never serve each other's model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import List, Optional

from switchboard import paths


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


def train_command(extra: Optional[List[str]] = None) -> List[str]:
    """The ``rasa train`` command line for this checkout."""
    return [
        sys.executable, "-m", "rasa", "train",
        "--config", str(paths.ROOT / "config.yml"),
        "--domain", str(paths.ROOT / "domain"),
        "--data", str(paths.ROOT / "data"),
        "--out", str(paths.model_dir()),
        "--fixed-model-name", paths.model_name(),
        *(extra or []),
    ]


def main(argv: Optional[List[str]] = None) -> int:
    """Train (or re-package from cache) and print where the model is."""
    paths.model_dir().mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = subprocess.run(train_command(argv), cwd=paths.ROOT, env=training_env())
    if result.returncode != 0:
        print("Training failed; see the messages above.", file=sys.stderr)
        return result.returncode
    print(f"Model: {paths.model_path()} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
