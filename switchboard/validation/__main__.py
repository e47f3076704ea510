"""``python -m switchboard.validation [--root DIR] [--skip-rasa] [--check NAME ...]``: the content checker."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter (imported by Rasa)
warnings.filterwarnings("ignore", category=DeprecationWarning)

from switchboard.validation.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
