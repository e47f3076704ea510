"""Shared fixtures for the speech layer tests: real recordings and real models only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

from switchboard import paths
from voice import audio
from voice.stt import Recognizer

DIGITS_WAV = paths.shared_data() / "speech" / "digits_en.wav"
DIGITS_REF = "one zero zero zero one nine oh two one oh zero one eight zero three"
DIGIT_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "zero", "oh"]
TESTDATA = Path("/usr/share/pocketsphinx/test/data")


def need(path: Path) -> Path:
    """The recording, or a failure that says how to get it (the tests need real speech)."""
    if not path.exists():
        pytest.fail(f"{path} is missing: `make setup-test` installs pocketsphinx-testdata; "
                    "set SWITCHBOARD_SHARED_DATA to the shared data folder")
    return path


def sphinx_transcriptions(path: Path) -> Dict[str, str]:
    """``{utterance id: reference text}`` from a Sphinx ``<s> ... </s> (id)`` file."""
    refs = {}
    for line in path.read_text().splitlines():
        match = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if match:
            refs[match.group(2)] = " ".join(match.group(1).split())
    return refs


def transcribe(recognizer: Recognizer, pcm: bytes, chunk_ms: int = 100) -> str:
    """Stream ``pcm`` in chunks and join the text of all final results."""
    texts: List[str] = []
    for chunk in audio.split_frames(pcm, chunk_ms):
        result = recognizer.accept(chunk)
        if result is not None and result.final and result.text:
            texts.append(result.text)
    last = recognizer.finish()
    if last.text:
        texts.append(last.text)
    return " ".join(texts)


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
