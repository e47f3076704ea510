"""Voice activity detection with Silero VAD: is the caller speaking, or is it noise?

A loudness threshold takes a cough, a door or line noise for speech, and the bot stopped
talking for it (barge-in). Silero VAD (v6, the ONNX model faster-whisper ships; MIT) scores
each 32 ms of audio for speech; it costs about 0.25 ms per chunk on one core, run with
onnxruntime on the calling thread. The model is loaded once per process; each call keeps
its own recurrent state.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, List, Optional

import numpy as np

from voice import audio

CHUNK_SAMPLES = 512  # what the model scores at 16 kHz: 32 ms
_CONTEXT_SAMPLES = 64  # the end of the previous chunk, which the model reads with each chunk
_STATE_SHAPE = (1, 1, 128)
SPEECH_PROBABILITY = 0.5  # Silero's own default threshold


def model_path() -> Path:
    """The Silero VAD model that faster-whisper installs."""
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class _Model:
    """The ONNX session, shared by every call (``run`` is thread-safe)."""

    _shared: Optional["_Model"] = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"],
                                                    sess_options=options)

    @classmethod
    def shared(cls) -> "_Model":
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared


class SileroStream:
    """Speech probabilities of one audio stream, chunk by chunk (the model is stateful)."""

    def __init__(self, model: Optional[Any] = None) -> None:
        self._model = model or _Model.shared()
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros((1, _CONTEXT_SAMPLES), dtype=np.float32)
        self._buffer = b""

    def probabilities(self, pcm: bytes) -> list:
        """Add audio (16 kHz mono s16le, any length); the speech probability of each whole
        32 ms chunk it completes."""
        self._buffer += audio.validate_pcm(pcm)
        size = CHUNK_SAMPLES * audio.SAMPLE_WIDTH
        scores = []
        while len(self._buffer) >= size:
            raw, self._buffer = self._buffer[:size], self._buffer[size:]
            chunk = (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0)[None, :]
            scored, self._h, self._c = self._model.session.run(
                None, {"input": np.concatenate([self._context, chunk], axis=1), "h": self._h, "c": self._c})
            self._context = chunk[:, -_CONTEXT_SAMPLES:]
            scores.append(float(np.asarray(scored).reshape(-1)[0]))
        return scores


class VoiceActivity:
    """Says when a caller has been speaking for ``min_speech_ms`` (for barge-in and for
    "the caller is still talking"); noise, however loud, is not speech.

    The same interface as ``voice.audio.SpeechDetector``, the loudness detector it replaces.
    """

    def __init__(self, min_speech_ms: int = 120, threshold: float = SPEECH_PROBABILITY,
                 stream: Optional[SileroStream] = None) -> None:
        chunk_ms = CHUNK_SAMPLES * 1000 // audio.SAMPLE_RATE
        self._needed = max(1, -(-min_speech_ms // chunk_ms))
        self.threshold = threshold
        self._stream = stream or SileroStream()
        self._run = 0

    def update(self, pcm: bytes) -> bool:
        """Add audio; True once the current run of speech chunks is long enough."""
        for score in self._stream.probabilities(pcm):
            self._run = self._run + 1 if score >= self.threshold else 0
        return self._run >= self._needed

    def reset(self) -> None:
        """Forget the current run of speech (the model keeps listening to the stream)."""
        self._run = 0


class Utterances:
    """Cuts a caller's stream into utterances: one starts at a chunk of speech and ends after
    ``hold_ms`` below the lower threshold (Silero's own rule: speech at 0.5, silence under
    0.35), or at ``max_s``. Each utterance's audio starts ``preroll_ms`` before its first
    speech chunk, so a soft first sound is kept."""

    def __init__(self, hold_ms: int = 550, preroll_ms: int = 300, max_s: float = 30.0,
                 threshold: float = SPEECH_PROBABILITY, stream: Optional[SileroStream] = None) -> None:
        self._chunk = CHUNK_SAMPLES * audio.SAMPLE_WIDTH
        chunk_ms = CHUNK_SAMPLES * 1000 / audio.SAMPLE_RATE
        self._hold_chunks = max(1, round(hold_ms / chunk_ms))
        self._preroll_chunks = max(0, round(preroll_ms / chunk_ms))
        self._max_chunks = max(1, round(max_s * 1000 / chunk_ms))
        self.threshold = threshold
        self._stream = stream or SileroStream()
        self.reset()

    def reset(self) -> None:
        """Forget the open utterance and start listening afresh."""
        self._stream.reset()
        self._pending = b""
        self._before: List[bytes] = []  # the pre-roll, while nobody speaks
        self._speech: List[bytes] = []  # the open utterance
        self._quiet = 0
        self.pauses = 0  # pauses begun in the open utterance (a pause ends when speech resumes)

    @property
    def in_speech(self) -> bool:
        """Whether an utterance is open."""
        return bool(self._speech)

    def feed(self, pcm: bytes) -> List[bytes]:
        """Add audio; the audio of each utterance it ends."""
        self._pending += audio.validate_pcm(pcm)
        ended = []
        while len(self._pending) >= self._chunk:
            chunk, self._pending = self._pending[: self._chunk], self._pending[self._chunk :]
            (score,) = self._stream.probabilities(chunk)
            if not self._speech:
                if score >= self.threshold:
                    self._speech, self._before, self._quiet, self.pauses = self._before + [chunk], [], 0, 0
                else:
                    self._before = (self._before + [chunk])[-self._preroll_chunks:] if self._preroll_chunks else []
                continue
            self._speech.append(chunk)
            quiet = score < self.threshold - 0.15
            if quiet and self._quiet == 0:
                self.pauses += 1
            self._quiet = self._quiet + 1 if quiet else 0
            if self._quiet >= self._hold_chunks or len(self._speech) >= self._max_chunks:
                ended.append(b"".join(self._speech))
                self._speech, self._quiet = [], 0
        return ended

    @property
    def quiet_ms(self) -> float:
        """How long the open utterance has been quiet (0 while the caller speaks)."""
        return self._quiet * CHUNK_SAMPLES * 1000 / audio.SAMPLE_RATE

    def so_far(self) -> bytes:
        """The open utterance's audio until now."""
        return b"".join(self._speech)

    def flush(self) -> Optional[bytes]:
        """The end of the stream: the open utterance's audio, if one is open."""
        if not self._speech:
            return None
        speech = b"".join(self._speech) + self._pending
        self._speech, self._pending, self._quiet = [], b"", 0
        return speech
