"""Text-to-speech for prompts: espeak-ng voices rendered to 16 kHz mono s16le PCM.

Two backends give the same voices: ``pyttsx3`` (its espeak driver, in-process) and
``espeak-ng`` (the command-line program, one subprocess per prompt). ``auto`` uses
pyttsx3 and falls back to the program if pyttsx3 cannot start.

Facts about pyttsx3 2.99's espeak driver that shape this module:

* espeak is initialised once per process and the engine is a per-process singleton,
  and not thread-safe: every render holds one process-wide lock.
* ``save_to_file`` keeps a single pending text (a second call before ``runAndWait``
  replaces the first), so each render is one ``save_to_file`` + ``runAndWait``.
* It always writes 22 050 Hz mono 16-bit WAV (espeak-ng's native rate); we resample.
* espeak runs in its asynchronous mode: ``runAndWait`` can return before the WAV is
  written (seen on the first render of a process under CPU load), and a render started
  while espeak is still busy (parameter changes are queued too) gets cancelled. Each
  render therefore waits for espeak to be idle, then for the "finished-utterance"
  notification, and retries a cancelled render. 160 renders from 4 threads: 0 errors.
* A bad voice name is reported as an "error" notification, not raised, and the old
  voice stays: voices are therefore checked against the voice list first.
* It ``print``\\ s "Audio saved to ..." on every file; stdout is redirected while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor
from typing import Dict, List, Optional, Tuple

from voice import audio
from voice.models import normalize_language

# espeak-ng voice (language) names; ``espeak-ng -v <name>`` and pyttsx3 both accept them.
VOICES: Dict[str, str] = {
    "en": "en-us",
    "fr": "fr-fr",
    "ro": "ro",
    "uk": "uk",
    "lt": "lt",
    "zh": "cmn",  # Mandarin; reads Latin letters as English
    "ko": "ko",
}
DEFAULT_RATE = 170  # words per minute; espeak-ng's default is 175, pyttsx3's 200
PYTTSX3_TIMEOUT_S = 10.0  # a prompt renders in well under a second; longer means espeak is stuck

logger = logging.getLogger(__name__)

_PYTTSX3_LOCK = threading.Lock()  # one espeak engine per process, not thread-safe
_pyttsx3_engine = None


class TTSError(RuntimeError):
    """Speech could not be synthesised."""


class UnsupportedLanguage(TTSError, ValueError):
    """No voice for this language."""


def voice_for(language: str) -> str:
    """The espeak-ng voice name for ``language``."""
    lang = normalize_language(language)
    if lang not in VOICES:
        raise UnsupportedLanguage(f"no voice for {language!r} (have: {', '.join(VOICES)})")
    return VOICES[lang]


def _engine():
    """The process's pyttsx3 espeak engine (call with the lock held)."""
    global _pyttsx3_engine
    if _pyttsx3_engine is None:
        import pyttsx3

        engine = pyttsx3.init("espeak")
        engine.runAndWait()  # a new engine queues commands until its first run loop
        _pyttsx3_engine = engine
    return _pyttsx3_engine


def _pyttsx3_voice_ids() -> Dict[str, str]:
    """``{espeak voice name: pyttsx3 voice id}``, e.g. ``{"en-us": "gmw/en-us"}``."""
    with _PYTTSX3_LOCK:
        voices = _engine().getProperty("voices")
    ids: Dict[str, str] = {}
    for voice in voices:
        for lang in voice.languages or []:
            ids.setdefault(str(lang).lower(), voice.id)
    return ids


def _wait_until_idle(timeout: float) -> None:
    """Wait until espeak has no queued work (call with the lock held).

    In espeak's asynchronous mode even parameter changes are queued, and "playing"
    lasts until the synthesis thread has left its callback. pyttsx3 cancels the new
    utterance if ``runAndWait`` starts while espeak is still playing.
    """
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.002)


def _pyttsx3_once(engine, text: str, voice: str, rate: int, path: str, timeout: float) -> bool:
    """One pyttsx3 render to ``path``; True if it completed (call with the lock held)."""
    done = threading.Event()
    completed: List[bool] = []

    def finished(**kwargs: object) -> None:
        completed.append(bool(kwargs.get("completed")))
        done.set()

    _wait_until_idle(timeout)
    engine.setProperty("voice", voice)  # applied at once: the engine is idle
    engine.setProperty("rate", rate)
    _wait_until_idle(timeout)
    token = engine.connect("finished-utterance", finished)
    try:
        engine.save_to_file(text, path)
        with contextlib.redirect_stdout(io.StringIO()):
            engine.runAndWait()
            # Synthesis is asynchronous (AUDIO_OUTPUT_RETRIEVAL) and runAndWait can
            # return before the WAV exists: wait for "finished-utterance", which the
            # driver sends after writing the file.
            if not done.wait(timeout):
                raise TTSError(f"pyttsx3 did not finish {text!r} within {timeout} s")
    finally:
        engine.disconnect(token)
    # the first notification tells; a late "completed=False" after it is pyttsx3
    # noticing a cancel request that came after the audio was written
    return completed[0] and os.path.exists(path)


def render_pyttsx3(text: str, voice: str, rate: int = DEFAULT_RATE, timeout: float = PYTTSX3_TIMEOUT_S,
                   attempts: int = 3) -> bytes:
    """Render ``text`` with pyttsx3's espeak driver; returns 16 kHz mono PCM."""
    with tempfile.TemporaryDirectory(prefix="switchboard-tts-") as tmp:
        path = os.path.join(tmp, "prompt.wav")
        with _PYTTSX3_LOCK:
            engine = _engine()
            for _ in range(attempts):
                if _pyttsx3_once(engine, text, voice, rate, path, timeout):
                    return audio.read_wav(path)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        raise TTSError(f"pyttsx3 rendering of {text!r} was cancelled {attempts} times")


def render_espeak(text: str, voice: str, rate: int = DEFAULT_RATE, timeout: float = 30.0) -> bytes:
    """Render ``text`` with the ``espeak-ng`` program; returns 16 kHz mono PCM."""
    program = shutil.which("espeak-ng") or shutil.which("espeak")
    if program is None:
        raise TTSError("neither pyttsx3 nor the espeak-ng program is available")
    with tempfile.TemporaryDirectory(prefix="switchboard-tts-") as tmp:
        path = os.path.join(tmp, "prompt.wav")
        try:
            subprocess.run(
                [program, "-v", voice, "-s", str(rate), "-w", path, "--stdin"],
                input=text.encode("utf-8"), capture_output=True, check=True, timeout=timeout)
        except subprocess.CalledProcessError as exc:
            raise TTSError(f"espeak-ng failed: {exc.stderr.decode(errors='replace').strip()}") from exc
        except subprocess.TimeoutExpired as exc:
            raise TTSError(f"espeak-ng took longer than {timeout} s") from exc
        return audio.read_wav(path)


class Synthesizer:
    """Renders prompts per language, with an LRU cache of rendered audio.

    ``backend`` is ``"auto"``, ``"pyttsx3"`` or ``"espeak-ng"``. Thread-safe; use
    ``render_async`` from async code.
    """

    def __init__(self, backend: str = "auto", rate: int = DEFAULT_RATE,
                 cache_size: int = 256, executor: Optional[Executor] = None) -> None:
        if backend not in ("auto", "pyttsx3", "espeak-ng"):
            raise ValueError(f"unknown TTS backend {backend!r}")
        self.requested_backend = backend
        self.rate = rate
        self.cache_size = cache_size
        self.executor = executor
        self.renders = 0  # prompts actually synthesised (cache misses)
        self.fallbacks = 0  # pyttsx3 renders that failed and were made by the espeak-ng program
        self.hits = 0
        self._backend: Optional[str] = None
        self._voice_ids: Dict[str, str] = {}
        self._cache: "OrderedDict[Tuple[str, str], bytes]" = OrderedDict()
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """The backend in use (``auto`` resolved on first use)."""
        if self._backend is None:
            self._backend = self._resolve_backend()
        return self._backend

    def _resolve_backend(self) -> str:
        if self.requested_backend != "auto":
            if self.requested_backend == "pyttsx3":
                self._voice_ids = _pyttsx3_voice_ids()
            return self.requested_backend
        try:
            self._voice_ids = _pyttsx3_voice_ids()
            return "pyttsx3"
        except Exception:  # pyttsx3 or libespeak-ng missing/broken: use the program
            return "espeak-ng"

    def _render(self, language: str, text: str) -> bytes:
        voice = voice_for(language)
        if self.backend == "pyttsx3":
            voice_id = self._voice_ids.get(voice)
            if voice_id is None:
                raise UnsupportedLanguage(f"espeak-ng has no {voice!r} voice installed")
            try:
                return render_pyttsx3(text, voice_id, self.rate)
            except TTSError as failed:
                # Seen in CI: the first render of a process under load never finished. A caller
                # must still hear the prompt (the first one is the recording disclosure).
                logger.warning("pyttsx3 failed (%s); rendering this prompt with the espeak-ng program", failed)
                with self._lock:
                    self.fallbacks += 1
                try:
                    return render_espeak(text, voice, self.rate)
                except TTSError as also:
                    raise TTSError(f"{failed}; the espeak-ng program failed too: {also}") from also
        return render_espeak(text, voice, self.rate)

    def render(self, language: str, text: str) -> bytes:
        """``text`` spoken in ``language`` as 16 kHz mono s16le PCM (cached)."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("nothing to say: empty text")
        cached = self.cached(language, text)
        if cached is not None:
            return cached
        key = (normalize_language(language), text)
        pcm = self._render(*key)
        if not pcm:
            raise TTSError(f"{self.backend} rendered no audio for {text!r}")
        with self._lock:
            self.renders += 1
            self._cache[key] = pcm
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return pcm

    def cached(self, language: str, text: str) -> Optional[bytes]:
        """The cached rendering, or None (never renders)."""
        key = (normalize_language(language), " ".join(text.split()))
        with self._lock:
            pcm = self._cache.get(key)
            if pcm is not None:
                self._cache.move_to_end(key)
                self.hits += 1
            return pcm

    async def render_async(self, language: str, text: str) -> bytes:
        """``render`` in a thread pool (a cache hit returns at once)."""
        pcm = self.cached(language, text)
        if pcm is not None:
            return pcm
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.render, language, text)
