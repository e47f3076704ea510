"""Publish a content change: train, then serve the new model without a restart.

``python -m switchboard.publish`` (``make publish``) trains the model from the data
(Rasa's cache retrains only what the change touched; the embedding cache embeds only new
examples) and, if a stack is running from this checkout, loads the new model into its
Rasa server with ``PUT /model``. Conversations continue. A failed training, or a model
the server cannot load, leaves the old model serving, and the command says so.

Rasa's own data validation is skipped here: ``make validate`` runs it, with the
project's checks, before a change is published (``make publish`` depends on it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

from switchboard import paths
from switchboard.served_model import ReloadError, running_endpoint
from switchboard.train import train


def publish(root: Path, rasa_args: Optional[List[str]] = None) -> int:
    """Train ``root``'s content and load it into the running stack; the exit status."""
    started = time.monotonic()
    target = paths.model_path()
    if not train(target, ["--skip-validation", *(rasa_args or [])], root=root):
        print("Training failed; see the messages above. The model being served was not changed.", file=sys.stderr)
        return 1
    trained = time.monotonic()
    print(f"Trained {target} in {trained - started:.0f} s.", flush=True)
    endpoint = running_endpoint(paths.data_dir())
    if endpoint is None:
        print("No running stack found: `make run` will serve the new model.")
        return 0
    try:
        status = endpoint.load(target)
    except ReloadError as exc:
        print(f"{exc}\nThe model being served was not changed.", file=sys.stderr)
        return 1
    print(
        f"Serving model {status.get('model_id')} at {endpoint.url}: loaded in {time.monotonic() - trained:.0f} s, "
        f"{time.monotonic() - started:.0f} s after the start."
    )
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=paths.ROOT,
                        help="folder with config.yml, domain/ and data/ (default: this checkout)")
    args = parser.parse_args(argv)
    return publish(args.root.resolve())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
