"""PocketSphinx (bundled US-English model) on real speech, scored with WER.

Thresholds were set after measuring (pocketsphinx 5.1.1, en-us model, one fresh
recogniser per recording, streamed in 100 ms chunks; decoding is deterministic):

=======================  ========  =========  ==========================================
recording / mode         measured  threshold  why
=======================  ========  =========  ==========================================
digits_en, digit grammar   0.000     0.067    exact; allow 1 error in 15 words
digits_en, free speech     0.333     0.40     5/15 ("nine oh two one oh" -> "i know to
                                              one up", "one" -> "what"); +1 error
librivox (5), free         0.324     0.40     23/71, generic LM on 1811 prose; ~+5 errors
cards (5), card grammar    0.048     0.10     1/21 ("four queen" -> "four of queen"); +1
cards (5), free speech     0.429     0.50     9/21, "clubs" heard as "close"; +1-2 errors
=======================  ========  =========  ==========================================

Without re-decoding the first utterance (``redecode_first=False``) the figures were
0.000 / 0.133 / 0.394 / 0.238 / 0.429: the grammar case lost "ten of clubs" entirely.
"""

from __future__ import annotations

import jiwer
import pytest

from tests.voice.conftest import (
    DIGIT_WORDS, DIGITS_REF, TESTDATA, need, sphinx_transcriptions, transcribe,
)
from voice import audio, stt, tts
from voice.audio import AudioFormatError
from voice.stt import GrammarError, PocketSphinxRecognizer

CARD_WORDS = ["ace", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
              "jack", "queen", "king", "lady", "of", "clubs", "hearts", "diamonds", "spades"]


def corpus_wer(folder: str, transcription: str, phrases=None) -> float:
    """WER over every recording listed in a pocketsphinx-testdata transcription file."""
    refs = sphinx_transcriptions(need(TESTDATA / folder / transcription))
    hyps = [transcribe(PocketSphinxRecognizer(phrases), audio.read_wav(TESTDATA / folder / f"{uid}.wav"))
            for uid in refs]
    return jiwer.wer(list(refs.values()), hyps)


def test_digits_with_digit_grammar(digits_pcm):
    hyp = transcribe(PocketSphinxRecognizer(DIGIT_WORDS), digits_pcm)
    assert jiwer.wer(DIGITS_REF, hyp) <= 0.067, hyp  # measured 0.0


def test_digits_free_speech(digits_pcm):
    hyp = transcribe(PocketSphinxRecognizer(), digits_pcm)
    assert jiwer.wer(DIGITS_REF, hyp) <= 0.40, hyp  # measured 0.333


def test_librivox_free_speech():
    assert corpus_wer("librivox", "transcription") <= 0.40  # measured 0.324


def test_cards_with_card_grammar():
    assert corpus_wer("cards", "cards.transcription", CARD_WORDS) <= 0.10  # measured 0.048


def test_cards_free_speech():
    assert corpus_wer("cards", "cards.transcription") <= 0.50  # measured 0.429


def test_streaming_structure(digits_pcm):
    recognizer = PocketSphinxRecognizer(DIGIT_WORDS)
    results = [r for c in audio.split_frames(digits_pcm, 100) if (r := recognizer.accept(c))]
    results.append(recognizer.finish())
    finals = [r for r in results if r.final]
    partials = [r for r in results if not r.final]
    # three digit groups separated by pauses: two endpointed by the VAD, the last one
    # (no trailing pause in the file) by finish()
    assert [r.reason for r in finals] == ["engine", "engine", "finish"]
    assert [r.text for r in finals] == ["one zero zero zero one", "nine oh two one oh",
                                        "zero one eight zero three"]
    assert partials and all(r.engine == "pocketsphinx" and r.text for r in partials)
    assert results.index(partials[0]) < results.index(finals[0])


def test_grammar_words_only(digits_pcm):
    hyp = transcribe(PocketSphinxRecognizer(["one", "zero"]), digits_pcm)
    assert hyp and set(hyp.split()) <= {"one", "zero"}


def test_jsgf_and_unknown_words():
    assert stt.jsgf_for(["Yes", "no thanks", "yes", "[unk]"]) == (
        "#JSGF V1.0;\ngrammar hints;\npublic <hints> = ( yes | no thanks )+ ;\n")
    recognizer = PocketSphinxRecognizer()
    assert recognizer.known_phrases(["billing", "zzqxv account"]) == ["billing"]
    with pytest.raises(GrammarError):
        recognizer.set_grammar(["zzqxv"])


def test_reset_and_reuse(digits_pcm):
    recognizer = PocketSphinxRecognizer(DIGIT_WORDS)
    for chunk in audio.split_frames(digits_pcm[: 16000 * 2 * 2], 100):
        recognizer.accept(chunk)
    recognizer.reset()
    assert recognizer.finish().text == ""
    assert transcribe(recognizer, digits_pcm).startswith("one zero zero zero one")


def test_format_errors():
    with pytest.raises(AudioFormatError):
        PocketSphinxRecognizer(sample_rate=8000)
    with pytest.raises(AudioFormatError):
        PocketSphinxRecognizer().accept(b"\x00")


def test_english_tts_round_trip():
    # espeak-ng "en-us" voice -> PocketSphinx with the digit grammar. Measured: exact.
    # (Longer strings fare worse: espeak's synthetic voice is far from the model's
    # training speech, e.g. "seven eight nine zero" -> "two two zero".)
    pcm = tts.Synthesizer().render("en", "one two three four five")
    hyp = transcribe(PocketSphinxRecognizer(DIGIT_WORDS), pcm)
    assert jiwer.wer("one two three four five", hyp) <= 0.2, hyp


async def test_async_recognizer_matches_sync(clean_model_env, digits_pcm):
    recognizer = await stt.open_recognizer("en", DIGIT_WORDS)
    assert recognizer.engine == "pocketsphinx+whisper"  # with a grammar, the words are PocketSphinx's
    texts = []
    for chunk in audio.split_frames(digits_pcm, 100):
        result = await recognizer.accept(chunk)
        if result is not None and result.final:
            texts.append(result.text)
    texts.append((await recognizer.finish()).text)
    assert " ".join(texts) == DIGITS_REF
