"""Where Switchboard keeps things: the checkout, the shared cache, runtime data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent


def cache_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    """Cache shared by clones on this machine: venvs, trained models, Rasa's training cache."""
    env = os.environ if env is None else env
    return Path(env.get("SWITCHBOARD_CACHE") or Path.home() / ".cache" / "switchboard")


def model_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    """Folder of trained models, shared by the clones on this machine."""
    env = os.environ if env is None else env
    return Path(env.get("SWITCHBOARD_MODEL_DIR") or cache_dir(env) / "models")


def model_name() -> str:
    """This checkout's model name: one file per clone, so clones never serve each other's model."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return f"switchboard-{digest}"


def model_path(env: Optional[Mapping[str, str]] = None) -> Path:
    """The model Rasa serves: ``SWITCHBOARD_MODEL`` or this checkout's trained model."""
    env = os.environ if env is None else env
    if env.get("SWITCHBOARD_MODEL"):
        return Path(env["SWITCHBOARD_MODEL"])
    return model_dir(env) / f"{model_name()}.tar.gz"


def rasa_training_cache(env: Optional[Mapping[str, str]] = None) -> Path:
    """Rasa's fingerprinted training cache, outside the clone."""
    env = os.environ if env is None else env
    return Path(env.get("RASA_CACHE_DIRECTORY") or cache_dir(env) / "rasa-cache")


def data_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    """Runtime data of this checkout: databases, logs, recordings."""
    env = os.environ if env is None else env
    return Path(env.get("SWITCHBOARD_DATA_DIR") or ROOT / "var").resolve()


def shared_data(env: Optional[Mapping[str, str]] = None) -> Path:
    """Reference data beside the checkout (``../shared/data``): ``SWITCHBOARD_SHARED_DATA``, or
    the first ``shared/data`` folder found walking up from the checkout."""
    env = os.environ if env is None else env
    if env.get("SWITCHBOARD_SHARED_DATA"):
        return Path(env["SWITCHBOARD_SHARED_DATA"])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "data"
