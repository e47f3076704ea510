"""Streaming speech-to-text: one recogniser per call, fed 16 kHz mono s16le chunks.

Engines: Vosk (any language with a model, see ``voice.models``) and PocketSphinx
(US English only, the fallback when no English Vosk model is installed). Both take an
optional phrase list ("grammar") that restricts what they can hear, which helps a lot
for menus and digit strings.

Recognition is CPU-bound: async code should use ``AsyncRecognizer`` (or
``open_recognizer``), which runs each step in a thread pool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Protocol, Sequence, runtime_checkable

from voice import audio
from voice.models import NoSpeechModel, find_vosk_model, normalize_language, pocketsphinx_available

if TYPE_CHECKING:
    import vosk

logger = logging.getLogger(__name__)

UNKNOWN = "[unk]"


class GrammarError(ValueError):
    """A phrase list that the engine cannot use (e.g. no word of it is known)."""


@dataclass(frozen=True)
class Result:
    """A recognition result: partial (still listening) or final (utterance over).

    ``reason`` says what ended a final result: ``"engine"`` (the engine's own
    endpointing), ``"silence"`` (the silence timeout) or ``"finish"`` (end of stream).
    """

    text: str
    final: bool
    engine: str
    reason: str = ""


@runtime_checkable
class Recognizer(Protocol):
    """A streaming recogniser for one call. Not thread-safe: one caller at a time."""

    engine: str

    def accept(self, pcm: bytes) -> Optional[Result]:
        """Feed audio; return a final result when an utterance ended, a partial result
        when the partial text changed, else None."""

    def finish(self) -> Result:
        """End the current utterance and return its final result; stays usable."""

    def reset(self) -> None:
        """Drop the current utterance without a result."""

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        """Restrict recognition to ``phrases`` (None: free speech); resets."""


def _words(phrase: str) -> List[str]:
    """Lower-case words of a phrase, without punctuation (apostrophes kept)."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", phrase.lower())


class _PartialTracker:
    """Turns a stream of partial texts into results only when the text changes."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.last = ""

    def partial(self, text: str) -> Optional[Result]:
        if not text or text == self.last:
            return None
        self.last = text
        return Result(text, False, self.engine)

    def final(self, text: str, reason: str) -> Result:
        self.last = ""
        return Result(text, True, self.engine, reason)


# ----------------------------------------------------------------------------- Vosk

_VOSK_MODELS: Dict[str, "vosk.Model"] = {}
_VOSK_LOCK = threading.Lock()


def load_vosk_model(path: Path) -> "vosk.Model":
    """Load a Vosk model once per process (by path) and return the shared instance."""
    import vosk

    key = str(Path(path).resolve())
    with _VOSK_LOCK:
        model = _VOSK_MODELS.get(key)
        if model is None:
            vosk.SetLogLevel(-1)
            try:
                model = vosk.Model(key)
            except Exception as exc:  # vosk raises a bare Exception
                raise NoSpeechModel(f"cannot load the Vosk model at {key}: {exc}") from exc
            _VOSK_MODELS[key] = model
        return model


class VoskRecognizer:
    """Vosk recogniser: one ``KaldiRecognizer`` per call over a shared model."""

    engine = "vosk"

    def __init__(self, model: object, phrases: Optional[Sequence[str]] = None,
                 sample_rate: int = audio.SAMPLE_RATE) -> None:
        audio.validate_pcm(b"", sample_rate=sample_rate)
        self._model = model
        self._grammar: Optional[str] = None
        self._results = _PartialTracker(self.engine)
        self.set_grammar(phrases)

    @classmethod
    def for_language(cls, language: str, phrases: Optional[Sequence[str]] = None) -> "VoskRecognizer":
        """A recogniser for ``language``; raises NoSpeechModel when there is no model."""
        path = find_vosk_model(language)
        if path is None:
            raise NoSpeechModel(f"no Vosk model for {normalize_language(language)!r}")
        return cls(load_vosk_model(path), phrases)

    def _in_vocabulary(self, word: str) -> bool:
        return self._model.vosk_model_find_word(word) >= 0

    def grammar_json(self, phrases: Sequence[str]) -> str:
        """The grammar JSON list for ``phrases``: known phrases, plus ``[unk]`` if the
        model has it. Phrases with a word the model does not know are dropped."""
        kept, dropped = [], []
        for phrase in phrases:
            words = _words(phrase)
            if words and all(self._in_vocabulary(w) for w in words):
                kept.append(" ".join(words))
            elif phrase.strip() != UNKNOWN:
                dropped.append(phrase)
        if dropped:
            logger.warning("Vosk grammar: dropped phrases with unknown words: %s", dropped)
        if not kept:
            raise GrammarError(f"none of the phrases is in the model's vocabulary: {list(phrases)}")
        if self._in_vocabulary(UNKNOWN):
            kept.append(UNKNOWN)
        return json.dumps(kept, ensure_ascii=False)  # Vosk does not decode \\u escapes

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self._grammar = self.grammar_json(phrases) if phrases else None
        self.reset()

    def reset(self) -> None:
        import vosk

        if self._grammar is None:
            self._rec = vosk.KaldiRecognizer(self._model, audio.SAMPLE_RATE)
        else:
            self._rec = vosk.KaldiRecognizer(self._model, audio.SAMPLE_RATE, self._grammar)
        self._results.last = ""

    @staticmethod
    def _text(result_json: str) -> str:
        data = json.loads(result_json)
        text = data.get("text", data.get("partial", ""))
        return " ".join(w for w in text.split() if w != UNKNOWN)

    def accept(self, pcm: bytes) -> Optional[Result]:
        data = audio.validate_pcm(pcm)
        if self._rec.AcceptWaveform(data):
            return self._results.final(self._text(self._rec.Result()), "engine")
        return self._results.partial(self._text(self._rec.PartialResult()))

    def finish(self) -> Result:
        return self._results.final(self._text(self._rec.FinalResult()), "finish")


# ---------------------------------------------------------------------- PocketSphinx


def jsgf_for(phrases: Sequence[str], name: str = "hints") -> str:
    """A JSGF grammar accepting any sequence of the phrases (words must be ``[a-z']``)."""
    alternatives = [" ".join(_words(p)) for p in phrases if p.strip() != UNKNOWN]
    alternatives = [a for a in dict.fromkeys(alternatives) if a]
    if not alternatives:
        raise GrammarError("empty phrase list")
    return (f"#JSGF V1.0;\ngrammar {name};\n"
            f"public <{name}> = ( {' | '.join(alternatives)} )+ ;\n")


class PocketSphinxRecognizer:
    """PocketSphinx 5 recogniser (US English), segmented by ``pocketsphinx.Endpointer``.

    The endpointer (a WebRTC-style VAD) decides where utterances start and end: speech
    frames go to the decoder between ``start_utt`` and ``end_utt``. ``vad_window`` is
    the seconds of non-speech that end an utterance while phrase hints are set
    (PocketSphinx's default 0.3 s gave the best digits result, and a number's groups are
    joined by ``voice.digit_collector``); ``hold`` is that time for free speech, where the
    end of an utterance is the end of the caller's turn: long enough for a breath within a
    sentence (0.55 s by default; voice agents use 0.4-0.8 s).

    Live decoding normalises features with a running cepstral mean that starts from the
    model's defaults, so a call's first utterance decodes worst (on the short "cards"
    recordings the first word was often lost). With ``redecode_first`` the first
    utterance (up to ``MAX_REDECODE_S``) is decoded again with ``full_utt=True``, i.e.
    with its own mean; later utterances use the adapted running mean.
    """

    engine = "pocketsphinx"
    MAX_REDECODE_S = 30.0
    _SEARCH = "phrases"

    def __init__(self, phrases: Optional[Sequence[str]] = None, vad_window: float = 0.3,
                 vad_mode: int = 0, redecode_first: bool = True,
                 sample_rate: int = audio.SAMPLE_RATE, hold: Optional[float] = None) -> None:
        import pocketsphinx

        audio.validate_pcm(b"", sample_rate=sample_rate)
        self._vad_window = vad_window
        self._hold = vad_window if hold is None else hold
        self._hinted = bool(phrases)
        self._vad_mode = vad_mode
        self._redecode_first = redecode_first
        self._decoder = pocketsphinx.Decoder(samprate=audio.SAMPLE_RATE, loglevel="FATAL")
        self._results = _PartialTracker(self.engine)
        self._in_utt = False
        self._utterances = 0  # completed utterances on this decoder
        self._speech: List[bytes] = []
        self.set_grammar(phrases)

    def known_phrases(self, phrases: Sequence[str]) -> List[str]:
        """The phrases whose words are all in the pronunciation dictionary."""
        kept, dropped = [], []
        for phrase in phrases:
            words = _words(phrase)
            if words and all(self._decoder.lookup_word(w) is not None for w in words):
                kept.append(" ".join(words))
            elif phrase.strip() != UNKNOWN:
                dropped.append(phrase)
        if dropped:
            logger.warning("PocketSphinx grammar: dropped phrases with unknown words: %s", dropped)
        if not kept:
            raise GrammarError(f"none of the phrases is in the dictionary: {list(phrases)}")
        return kept

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self._hinted = bool(phrases)
        self.reset()
        if phrases:
            self._decoder.add_jsgf_string(self._SEARCH, jsgf_for(self.known_phrases(phrases)))
            self._decoder.activate_search(self._SEARCH)
        else:
            self._decoder.activate_search()  # the default: the US-English language model

    def reset(self) -> None:
        import pocketsphinx

        if self._in_utt:
            self._decoder.end_utt()
            self._in_utt = False
        self._endpointer = pocketsphinx.Endpointer(
            window=self._vad_window if self._hinted else self._hold, vad_mode=self._vad_mode,
            sample_rate=audio.SAMPLE_RATE)
        self._buffer = b""
        self._speech = []
        self._results.last = ""

    def _hypothesis(self) -> str:
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def _process(self, speech: bytes) -> None:
        """Decode speech, starting an utterance if none is open."""
        if not self._in_utt:
            self._decoder.start_utt()
            self._in_utt = True
            self._speech = []
        self._decoder.process_raw(speech)
        if self._redecode_first and self._utterances == 0:
            self._speech.append(speech)

    def _end_utterance(self) -> str:
        """Close the open utterance and return its text."""
        self._decoder.end_utt()
        self._in_utt = False
        speech, self._speech = b"".join(self._speech), []
        if speech and audio.duration_s(speech) <= self.MAX_REDECODE_S:
            self._decoder.start_utt()
            self._decoder.process_raw(speech, full_utt=True)
            self._decoder.end_utt()
        self._utterances += 1
        return self._hypothesis()

    def accept(self, pcm: bytes) -> Optional[Result]:
        self._buffer += audio.validate_pcm(pcm)
        size = self._endpointer.frame_bytes
        finals = []
        while len(self._buffer) >= size:
            frame, self._buffer = self._buffer[:size], self._buffer[size:]
            speech = self._endpointer.process(frame)
            if speech is not None:
                self._process(speech)
                if not self._endpointer.in_speech:
                    finals.append(self._end_utterance())
        if finals:  # normally one; a long chunk can hold several utterances
            return self._results.final(" ".join(t for t in finals if t), "engine")
        return self._results.partial(self._hypothesis()) if self._in_utt else None

    def finish(self) -> Result:
        text = ""
        if self._endpointer.in_speech:
            # end_stream needs 1..frame_bytes bytes; pad an empty tail with silence.
            speech = self._endpointer.end_stream(self._buffer or bytes(self._endpointer.frame_bytes))
            if speech:
                self._process(speech)
        if self._in_utt:
            text = self._end_utterance()
        self.reset()
        return self._results.final(text, "finish")


# ------------------------------------------------------------------ silence timeout


class SilenceEndpointer:
    """Ends an utterance after ``silence_ms`` of quiet audio that follows speech.

    Energy-based (see ``voice.audio.is_speech``); counts whole ``frame_ms`` frames, so
    it fires on the ``ceil(silence_ms / frame_ms)``-th quiet frame after speech.
    """

    def __init__(self, silence_ms: int = 800, threshold_dbfs: float = audio.DEFAULT_SPEECH_DBFS,
                 frame_ms: int = audio.FRAME_MS) -> None:
        if silence_ms <= 0:
            raise ValueError("silence_ms must be positive")
        self.silence_ms = silence_ms
        self.threshold_dbfs = threshold_dbfs
        self.frame_ms = frame_ms
        self._needed = math.ceil(silence_ms / frame_ms)
        self._frame = audio.frame_bytes(frame_ms)
        self.reset()

    def reset(self) -> None:
        """Start listening for a new utterance."""
        self._buffer = b""
        self._heard_speech = False
        self._quiet_frames = 0

    def update(self, pcm: bytes) -> bool:
        """Add audio; True when the silence timeout is reached (then call ``reset``)."""
        self._buffer += audio.validate_pcm(pcm)
        fired = False
        while len(self._buffer) >= self._frame:
            frame, self._buffer = self._buffer[: self._frame], self._buffer[self._frame :]
            if audio.is_speech(frame, self.threshold_dbfs):
                self._heard_speech = True
                self._quiet_frames = 0
            elif self._heard_speech:
                self._quiet_frames += 1
                fired = fired or self._quiet_frames >= self._needed
        return fired


class EndpointedRecognizer:
    """A recogniser whose utterances also end after a silence timeout.

    Whichever comes first wins: the engine's own endpoint or ``silence_ms`` of quiet
    after speech (then the engine is flushed and the result's reason is "silence").
    """

    def __init__(self, inner: Recognizer, endpointer: SilenceEndpointer) -> None:
        self.inner = inner
        self.endpointer = endpointer
        self.engine = inner.engine

    def accept(self, pcm: bytes) -> Optional[Result]:
        result = self.inner.accept(pcm)
        if result is not None and result.final:
            self.endpointer.reset()
            return result
        if self.endpointer.update(pcm):
            self.endpointer.reset()
            final = self.inner.finish()
            return Result(final.text, True, final.engine, "silence")
        return result

    def finish(self) -> Result:
        self.endpointer.reset()
        return self.inner.finish()

    def reset(self) -> None:
        self.endpointer.reset()
        self.inner.reset()

    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self.endpointer.reset()
        self.inner.set_grammar(phrases)


# --------------------------------------------------------------------------- factory


FREE_SPEECH_HOLD_MS = 550  # quiet after free speech that ends the caller's turn


def recognizer_for(language: str, grammar: Optional[Sequence[str]] = None,
                   silence_ms: Optional[int] = None, hold_ms: int = FREE_SPEECH_HOLD_MS) -> Recognizer:
    """A recogniser for ``language``: Vosk if it has a model, else for English Whisper for free
    speech and PocketSphinx for phrase hints (``voice.whisper``; PocketSphinx alone where
    Whisper is not installed), else NoSpeechModel. ``silence_ms`` adds a silence timeout;
    ``hold_ms`` of quiet ends a free-speech utterance.

    Blocking (the first Vosk use of a language loads its model): from async code use
    ``open_recognizer``.
    """
    lang = normalize_language(language)
    path = find_vosk_model(lang)
    if path is not None:
        recognizer: Recognizer = VoskRecognizer(load_vosk_model(path), grammar)
    elif lang == "en" and pocketsphinx_available():
        from voice import whisper

        if whisper.available():
            recognizer = whisper.WhisperRecognizer(
                PocketSphinxRecognizer(grammar), whisper.WhisperTranscriber.shared(), hold_ms, grammar)
        else:
            recognizer = PocketSphinxRecognizer(grammar, hold=hold_ms / 1000)
    else:
        raise NoSpeechModel(
            f"no speech recognition model for {lang!r}: install one with "
            f"`python -m voice.models download {lang}` or set VOSK_MODEL_PATH_{lang.upper()}")
    if silence_ms is not None:
        recognizer = EndpointedRecognizer(recognizer, SilenceEndpointer(silence_ms))
    return recognizer


class AsyncRecognizer:
    """Runs a recogniser's steps in a thread pool so the event loop never blocks.

    Calls are serialised (a recogniser is not thread-safe), in the order awaited.
    """

    def __init__(self, recognizer: Recognizer, executor: Optional[Executor] = None) -> None:
        self.recognizer = recognizer
        self.engine = recognizer.engine
        self._executor = executor
        self._lock = asyncio.Lock()

    async def _run(self, func, *args):
        async with self._lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, func, *args)

    async def accept(self, pcm: bytes) -> Optional[Result]:
        """See ``Recognizer.accept``."""
        return await self._run(self.recognizer.accept, pcm)

    async def finish(self) -> Result:
        """See ``Recognizer.finish``."""
        return await self._run(self.recognizer.finish)

    async def reset(self) -> None:
        """See ``Recognizer.reset``."""
        await self._run(self.recognizer.reset)

    async def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        """See ``Recognizer.set_grammar``."""
        await self._run(self.recognizer.set_grammar, phrases)


async def open_recognizer(language: str, grammar: Optional[Sequence[str]] = None,
                          silence_ms: Optional[int] = None,
                          executor: Optional[Executor] = None,
                          hold_ms: int = FREE_SPEECH_HOLD_MS) -> AsyncRecognizer:
    """``recognizer_for`` run in the thread pool, wrapped in an ``AsyncRecognizer``."""
    loop = asyncio.get_running_loop()
    recognizer = await loop.run_in_executor(
        executor, lambda: recognizer_for(language, grammar, silence_ms, hold_ms))
    return AsyncRecognizer(recognizer, executor)


__all__ = [
    "FREE_SPEECH_HOLD_MS", "AsyncRecognizer", "EndpointedRecognizer", "GrammarError", "NoSpeechModel",
    "PocketSphinxRecognizer", "Recognizer", "Result", "SilenceEndpointer",
    "VoskRecognizer", "jsgf_for", "load_vosk_model", "open_recognizer", "recognizer_for",
]
