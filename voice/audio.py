"""PCM helpers for the voice channel: 16 kHz mono signed 16-bit little-endian audio.

Everything in the speech layer speaks this one format ("s16le"): the recognisers take
it and the synthesiser produces it. This module validates it, converts WAV files to
it, cuts it into frames and measures its energy (for endpointing and barge-in).
"""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path
from typing import Iterator, Union

import numpy as np

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2  # bytes per sample (s16le)
CHANNELS = 1
FRAME_MS = 20
# Speech on the sample recordings sits between about -45 and -15 dBFS; their
# background noise between -62 and -42 dBFS. -40 dBFS separates them on all of them.
DEFAULT_SPEECH_DBFS = -40.0

PcmLike = Union[bytes, bytearray, memoryview]


class AudioFormatError(ValueError):
    """Audio is not (or cannot be turned into) 16 kHz mono s16le PCM."""


def validate_pcm(
    pcm: object,
    sample_rate: int = SAMPLE_RATE,
    channels: int = CHANNELS,
    sample_width: int = SAMPLE_WIDTH,
) -> bytes:
    """Return ``pcm`` as bytes if it is 16 kHz mono s16le, else raise AudioFormatError.

    ``sample_rate``, ``channels`` and ``sample_width`` describe what the caller
    declared the audio to be (raw PCM carries no header).
    """
    if not isinstance(pcm, (bytes, bytearray, memoryview)):
        raise AudioFormatError(f"PCM must be bytes, not {type(pcm).__name__}")
    if sample_rate != SAMPLE_RATE:
        raise AudioFormatError(f"sample rate must be {SAMPLE_RATE} Hz, got {sample_rate} Hz")
    if channels != CHANNELS:
        raise AudioFormatError(f"audio must be mono, got {channels} channels")
    if sample_width != SAMPLE_WIDTH:
        raise AudioFormatError(f"samples must be 16-bit, got {8 * sample_width}-bit")
    data = bytes(pcm)
    if len(data) % SAMPLE_WIDTH:
        raise AudioFormatError(f"s16le PCM needs an even byte count, got {len(data)} bytes")
    return data


def to_pcm16k(samples: np.ndarray, sample_rate: int) -> bytes:
    """Convert samples (``(n,)`` or ``(n, channels)``, int16 or float in [-1, 1]) to PCM.

    Stereo is downmixed by averaging the channels; other rates are resampled with soxr.
    """
    import soxr  # imported here: only callers that convert pay for it

    if sample_rate <= 0:
        raise AudioFormatError(f"invalid sample rate {sample_rate}")
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / 32768.0
    else:
        data = data.astype(np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    elif data.ndim != 1:
        raise AudioFormatError(f"samples must be 1-D or 2-D, got shape {data.shape}")
    if sample_rate != SAMPLE_RATE and data.size:
        data = soxr.resample(data, sample_rate, SAMPLE_RATE)
    return (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def _wav_samples(reader: wave.Wave_read) -> np.ndarray:
    """The samples of an open WAV reader as an ``(n, channels)`` array."""
    width = reader.getsampwidth()
    raw = reader.readframes(reader.getnframes())
    if width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) * 256
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        data = ((b[:, 0] << 8 | b[:, 1] << 16 | b[:, 2] << 24) >> 16).astype(np.int16)
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise AudioFormatError(f"unsupported WAV sample width: {width} bytes")
    return data.reshape(-1, reader.getnchannels())


def read_wav(source: Union[str, Path, bytes]) -> bytes:
    """Read a PCM WAV file (a path or the file's bytes) as 16 kHz mono s16le."""
    fileobj = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else str(source)
    try:
        with wave.open(fileobj, "rb") as reader:
            rate = reader.getframerate()
            samples = _wav_samples(reader)
    except (wave.Error, EOFError) as exc:  # e.g. "unknown format: 3" for float WAV
        raise AudioFormatError(f"not a PCM WAV file: {exc}") from exc
    if rate == SAMPLE_RATE and samples.shape[1] == 1:
        return samples.astype("<i2").tobytes()
    return to_pcm16k(samples, rate)


def write_wav(path: Union[str, Path], pcm: PcmLike) -> None:
    """Write 16 kHz mono s16le PCM to a WAV file."""
    data = validate_pcm(pcm)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(CHANNELS)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(data)


def frame_bytes(frame_ms: int = FRAME_MS) -> int:
    """Bytes in one frame of ``frame_ms`` milliseconds."""
    if frame_ms <= 0:
        raise ValueError("frame_ms must be positive")
    return SAMPLE_RATE * frame_ms // 1000 * SAMPLE_WIDTH


def split_frames(pcm: PcmLike, frame_ms: int = FRAME_MS, pad: bool = False) -> Iterator[bytes]:
    """Yield consecutive ``frame_ms`` frames; the short last one is kept, or zero-padded."""
    data = validate_pcm(pcm)
    size = frame_bytes(frame_ms)
    for start in range(0, len(data), size):
        chunk = data[start : start + size]
        if pad and len(chunk) < size:
            chunk += bytes(size - len(chunk))
        yield chunk


def duration_s(pcm: PcmLike) -> float:
    """Duration of the PCM in seconds."""
    return len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


def silence(ms: int) -> bytes:
    """``ms`` milliseconds of digital silence."""
    return bytes(SAMPLE_RATE * ms // 1000 * SAMPLE_WIDTH)


def rms(pcm: PcmLike) -> float:
    """Root-mean-square amplitude of the PCM (0 to 32768); 0 for empty input."""
    data = np.frombuffer(validate_pcm(pcm), dtype="<i2").astype(np.float64)
    return float(math.sqrt(np.mean(data * data))) if data.size else 0.0


def dbfs(pcm: PcmLike) -> float:
    """Energy of the PCM in dB relative to full scale (-inf for digital silence)."""
    level = rms(pcm)
    return 20.0 * math.log10(level / 32768.0) if level > 0 else float("-inf")


def is_speech(pcm: PcmLike, threshold_dbfs: float = DEFAULT_SPEECH_DBFS) -> bool:
    """True when the frame is louder than ``threshold_dbfs`` (a crude energy VAD)."""
    return dbfs(pcm) > threshold_dbfs


class SpeechDetector:
    """Says when a caller has been speaking for ``min_speech_ms`` (for barge-in).

    Feed it the caller's audio as it arrives; it cuts the audio into frames, so
    chunk sizes do not matter. A quiet frame resets the run of loud frames.
    """

    def __init__(
        self,
        threshold_dbfs: float = DEFAULT_SPEECH_DBFS,
        min_speech_ms: int = 100,
        frame_ms: int = FRAME_MS,
    ) -> None:
        self.threshold_dbfs = threshold_dbfs
        self.frame_ms = frame_ms
        self._needed = max(1, math.ceil(min_speech_ms / frame_ms))
        self._frame = frame_bytes(frame_ms)
        self._buffer = b""
        self._run = 0

    def update(self, pcm: PcmLike) -> bool:
        """Add audio; True once the current run of speech frames is long enough."""
        self._buffer += validate_pcm(pcm)
        while len(self._buffer) >= self._frame:
            frame, self._buffer = self._buffer[: self._frame], self._buffer[self._frame :]
            self._run = self._run + 1 if is_speech(frame, self.threshold_dbfs) else 0
        return self._run >= self._needed

    def reset(self) -> None:
        """Forget everything heard so far."""
        self._buffer = b""
        self._run = 0
