"""Shared fixtures for the speech layer tests: real recordings and real models only."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard import paths
from voice import audio
from voice.scoring import DIGITS_REF, sphinx_transcriptions, transcribe  # noqa: F401 - the tests' names for them

DIGITS_WAV = paths.shared_data() / "speech" / "digits_en.wav"
DIGIT_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "zero", "oh"]
TESTDATA = Path("/usr/share/pocketsphinx/test/data")


def need(path: Path) -> Path:
    """The recording, or a failure that says how to get it (the tests need real speech)."""
    if not path.exists():
        pytest.fail(f"{path} is missing: `make setup-test` installs pocketsphinx-testdata; "
                    "set SWITCHBOARD_SHARED_DATA to the shared data folder")
    return path


@pytest.fixture(scope="session")
def digits_pcm() -> bytes:
    """digits_en.wav: 8.3 s of real speech, 16 kHz mono."""
    return audio.read_wav(need(DIGITS_WAV))


@pytest.fixture
def clean_model_env(monkeypatch, tmp_path) -> Path:
    """No VOSK_MODEL_PATH* variables and an empty models folder; returns that folder."""
    import os

    for name in list(os.environ):
        if name.startswith("VOSK_MODEL_PATH"):
            monkeypatch.delenv(name)
    root = tmp_path / "voice-models"
    root.mkdir()
    monkeypatch.setenv("SWITCHBOARD_VOICE_MODELS", str(root))
    return root
