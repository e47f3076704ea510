"""Spoken card numbers are muted in call recordings and masked in what the caller's client sees.

Three levels: :class:`voice.card_guard.CardGuard` alone; a :class:`VoiceSession` in-process with
a scripted recogniser, a fake conversation, output and synthesiser; and a real-speech call
whose card number is spliced from a real speaker's digit words (nobody should record
themselves reading a card number, so the test builds one from ``digits_en.wav``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import pytest

import pii
from tests.voice.conftest import DIGITS_REF, DIGITS_WAV, need
from tests.voice.session_harness import (
    FRAME, FakeConversation, FakeOutput, ScriptedRecognizer, caller_frames, final, new_session,
    partial, read_back, scripted_call, until,
)
from voice import audio, card_guard, digit_collector, speech_text
from voice.card_guard import CardGuard
from voice.session import Inbound, VoiceSession
from voice.stt import (
    AsyncRecognizer, EndpointedRecognizer, PocketSphinxRecognizer, Result, SilenceEndpointer, jsgf_for,
)

CARD = "4111111111111111"
CARD_WORDS = "four one one one one one one one one one one one one one one one"
CARD_GROUPS = ["four one one one", "one one one one", "one one one one", "one one one one"]
ACCOUNT_WORDS = DIGITS_REF  # "one zero zero zero one nine oh two one oh zero one eight zero three"
ACCOUNT_GROUPS = ["one zero zero zero one", "nine oh two one oh", "zero one eight zero three"]
PHONES = [
    "zero two zero seven nine four six zero zero one eight",
    "oh seven seven zero zero nine zero zero one two three",
    "plus four four two zero seven nine four six zero zero one eight",
    "zero zero four four two zero seven nine four six zero zero one eight",
]


def _feed(guard: CardGuard, texts: Sequence[str], size: int = 1000) -> List[List[Tuple[int, int]]]:
    """Each text as an utterance of ``size`` bytes after the previous one; what each returned."""
    return [guard.heard(text, k * size, (k + 1) * size) for k, text in enumerate(texts)]


# ----------------------------------------------------------------------------- the guard


def test_a_card_in_one_utterance_mutes_that_utterance_only():
    guard = CardGuard()
    assert _feed(guard, ["i want to pay my bill", f"my card is {CARD_WORDS}", "thank you"]) == [
        [], [(1000, 2000)], []]


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1111",
    "My card number is 4111-1111-1111-1111.",  # as Whisper writes English free speech
    "my card is four one one one, one one one one, one one one one, one one one one",
    "quatre un un un un un un un un un un un un un un un",  # the French recogniser's words
    "四一一一一一一一一一一一一一一一",
])
def test_cards_however_the_recogniser_writes_them(text):
    assert CardGuard().heard(text, 0, 640) == [(0, 640)]


def test_a_card_read_in_four_groups_mutes_all_four():
    guard = CardGuard()
    results = _feed(guard, ["my card number", *CARD_GROUPS, "yes"])
    assert results[:4] == [[], [], [], []]
    assert results[4] == [(1000, 5000)]  # four touching utterances, merged
    assert results[5] == []


def test_a_security_code_right_after_the_groups_is_muted_too():
    guard = CardGuard()
    _feed(guard, CARD_GROUPS)
    assert guard.heard("one two three", 4000, 5000) == [(4000, 5000)]
    assert guard.heard("thank you", 5000, 6000) == []


def test_ranges_already_muted_are_not_returned_again():
    guard = CardGuard()
    assert guard.heard(CARD_WORDS, 0, 100) == [(0, 100)]
    guard.digit_group()
    assert guard.number_done(CARD) == []  # the same utterance: already muted


@pytest.mark.parametrize("texts", [
    [ACCOUNT_WORDS],
    ACCOUNT_GROUPS,
    *([phone] for phone in PHONES),
    ["zero two zero seven", "nine four six zero", "zero one eight"],
    ["my account is one two three four five six seven eight", "and my phone is oh seven seven zero zero nine"],
])
def test_account_and_phone_numbers_are_not_muted(texts):
    guard = CardGuard()
    assert all(result == [] for result in _feed(guard, texts))
    for _ in texts:
        guard.digit_group()
    assert guard.number_done("".join(speech_text.spoken_digits(t).replace(" ", "") for t in texts)) == []


def test_an_account_then_a_phone_number_in_groups_is_not_a_card():
    # Word by word, a "card" 4 9 2 5 8 9 9 1 ... would start inside the phone number's
    # first group; the caller never starts a card there.
    phone = ["zero seven four nine two", "five eight nine", "nine one three"]
    texts = ACCOUNT_GROUPS + phone
    assert any(pii.find_split_card(texts[:k], texts[k]) for k in range(1, len(texts)))
    assert all(result == [] for result in _feed(CardGuard(), texts))


def test_a_finished_number_ends_the_chain():
    guard = CardGuard()
    _feed(guard, CARD_GROUPS[:2])
    assert guard.number_done("41111111") == []
    assert guard.heard(CARD_GROUPS[2], 2000, 3000) == [] and guard.heard(CARD_GROUPS[3], 3000, 4000) == []


def test_digits_collected_over_many_groups_form_a_card():
    # Eight groups of two digits: the six recent utterances alone never hold 13 digits,
    # only the number collected for the prompt shows the card.
    guard = CardGuard()
    pairs = ["four one"] + ["one one"] * 7
    assert all(result == [] for result in _feed(guard, ["hello", *pairs]))
    guard = CardGuard()
    guard.heard("hello", 0, 1000)
    for k, pair in enumerate(pairs, 1):
        assert guard.heard(pair, k * 1000, (k + 1) * 1000) == []
        guard.digit_group()
    assert guard.number_done(CARD) == [(1000, 9000)]
    assert guard.number_done(CARD) == []  # the collection starts afresh


def test_a_number_that_is_not_a_card_clears_the_collection():
    guard = CardGuard()
    guard.heard("one zero zero zero", 0, 10)
    guard.digit_group()
    assert guard.number_done("1000") == []
    guard.heard(CARD_WORDS, 10, 20)
    assert guard.number_done(CARD) == []  # that utterance was never a group of this number


def test_what_the_client_is_shown():
    guard = CardGuard()
    assert guard.shown(f"my card is {CARD_WORDS}") == "my card is [card ending 1111]"
    assert guard.shown(ACCOUNT_WORDS) == ACCOUNT_WORDS
    _feed(guard, CARD_GROUPS[:3])
    assert guard.shown(CARD_GROUPS[3]) == "[card ending 1111]"  # completes the split card
    assert guard.shown("one one") == "one one"  # no card with it


def test_mute_zeroes_exactly_the_ranges():
    pcm = bytearray(b"\x01\x02" * 100)
    assert card_guard.mute(pcm, [(10, 20), (15, 30), (190, 400)]) == 30
    assert pcm[:10] == b"\x01\x02" * 5 and pcm[10:30] == bytes(20) and pcm[30:190] == b"\x01\x02" * 80
    assert pcm[190:] == bytes(10) and len(pcm) == 200
    assert card_guard.merge([(5, 5), (8, 9), (0, 3), (3, 4)]) == [(0, 4), (8, 9)]


# ------------------------------------------------------------------ the session, scripted


def muted_frames(pcm: bytes) -> List[int]:
    """Which 20 ms frames of ``pcm`` are silence; and every other frame k still holds k + 1."""
    values = np.frombuffer(bytes(pcm), dtype="<i2").reshape(-1, FRAME // 2)
    zero = [k for k, frame in enumerate(values) if not frame.any()]
    assert all((values[k] == k + 1).all() for k in range(len(values)) if k not in zero)
    return zero


def no_card_in(frames: List[Dict[str, Any]]) -> None:
    dumped = json.dumps(frames)
    assert CARD not in dumped and CARD_WORDS not in dumped
    assert not any(pii.contains_card(f.get("text", "")) for f in frames), [f for f in frames if f.get("text")]


async def test_a_card_read_in_one_utterance_is_muted_in_the_recording(caplog):
    caplog.set_level(logging.INFO, logger="voice.session")
    # Frames 1-10 "i want to pay", 11-40 the card (partials on the way), 41-55 "thank you".
    recognizer = ScriptedRecognizer({
        10: final("i want to pay"),
        20: partial("my card is four one one one one one one"),
        30: partial(f"my card is {CARD_WORDS}"),
        40: final(f"my card is {CARD_WORDS}"),
        55: final("thank you"),
    })
    conversation = FakeConversation()
    call, output, _ = new_session(recognizer, conversation)
    assert await scripted_call(call, caller_frames(60)) == "caller_hung_up"

    # The card utterance runs from the frame that ended "i want to pay" (index 9: the
    # endpoint fell somewhere in it) to the end of the frame that ended the card (index 39).
    assert muted_frames(call.caller_audio) == list(range(9, 40))
    no_card_in(output.frames)
    assert [f["text"] for f in output.frames if f["type"] == "transcript"] == [
        "i want to pay", "my card is [card ending 1111]", "thank you"]
    assert f"my card is {CARD}" in conversation.turns  # the raw text drives the flow; the gateway masks
    assert "muted 0.6 s of caller audio holding a card number" in caplog.messages  # 31 frames of 20 ms
    assert "1111" not in caplog.text


async def test_a_card_read_in_groups_at_a_number_prompt(monkeypatch):
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.3)
    script = {10: final("yes")}
    for k, group in enumerate(CARD_GROUPS):
        script[20 + 10 * k] = partial(group)
        script[25 + 10 * k] = final(group)
    script[70] = final("thank you")
    recognizer = ScriptedRecognizer(script)
    conversation = FakeConversation(slot="account_number")
    call, output, _ = new_session(recognizer, conversation)
    await scripted_call(call, caller_frames(80), then=lambda: CARD in conversation.turns)

    assert recognizer.grammars[-1] == speech_text.digits_grammar()  # the number prompt's hints
    assert muted_frames(call.caller_audio) == list(range(9, 55))  # all four groups, from "yes" on
    no_card_in(output.frames)
    assert [f["text"] for f in output.frames if f["type"] == "transcript"][-2:] == [
        "[card ending 1111]", "thank you"]


async def test_digits_collected_over_many_groups_are_muted(monkeypatch):
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.3)
    pairs = ["four one"] + ["one one"] * 7
    script = {5: final("hello")}
    script.update({10 + 5 * k: final(pair) for k, pair in enumerate(pairs)})  # frames 10..45
    recognizer = ScriptedRecognizer(script)
    conversation = FakeConversation(slot="account_number")
    call, output, _ = new_session(recognizer, conversation)
    await scripted_call(call, caller_frames(60), then=lambda: CARD in conversation.turns)
    assert muted_frames(call.caller_audio) == list(range(4, 45))
    no_card_in(output.frames)


async def test_an_account_number_read_in_groups_stays_in_the_recording(monkeypatch):
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.3)
    recognizer = ScriptedRecognizer({10 + 10 * k: final(group) for k, group in enumerate(ACCOUNT_GROUPS)})
    conversation = FakeConversation(slot="account_number")
    call, output, _ = new_session(recognizer, conversation)
    await scripted_call(call, caller_frames(40), then=lambda: "100019021001803" in conversation.turns)
    assert muted_frames(call.caller_audio) == []
    assert [f["text"] for f in output.frames if f["type"] == "transcript"] == ACCOUNT_GROUPS


async def test_phone_numbers_stay_in_the_recording():
    recognizer = ScriptedRecognizer({10 + 10 * k: final(phone) for k, phone in enumerate(PHONES)})
    call, output, _ = new_session(recognizer, FakeConversation())
    await scripted_call(call, caller_frames(50))
    assert muted_frames(call.caller_audio) == []
    assert [f["text"] for f in output.frames if f["type"] == "transcript"] == PHONES


async def test_a_caller_hanging_up_mid_card_is_muted_too():
    class Unfinished(ScriptedRecognizer):
        async def finish(self) -> Result:
            return Result(CARD_WORDS, True, self.engine, "finish")

    recognizer = Unfinished({10: final("i want to pay")})
    call, _, _ = new_session(recognizer, FakeConversation())
    await scripted_call(call, caller_frames(30))
    assert muted_frames(call.caller_audio) == list(range(9, 30))


async def test_the_bot_never_speaks_a_card():
    recognizer = ScriptedRecognizer({})
    call, output, synthesizer = new_session(recognizer, FakeConversation())
    said = {"type": "message", "role": "agent", "text": f"I have your card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} "
                                                            f"{CARD[12:]}, and {CARD_WORDS}."}

    async def caller() -> None:
        await call.inbound.put(Inbound("dtmf", digit="1"))
        await call.inbound.put(Inbound("event", event=said))
        await until(lambda: any("card ending" in t for t in synthesizer.texts))
        await until(lambda: not call._speaking and call._playback.empty())
        await call.inbound.put(Inbound("hangup"))

    feeder = asyncio.create_task(caller())
    await asyncio.wait_for(call.run(), timeout=30)
    await feeder
    spoken = read_back(call.bot_audio)
    assert "I have your card [card ending 1111], and [card ending 1111]." in spoken
    assert spoken == read_back(output.played)  # the recording holds what the caller heard
    position = 0  # the bot audio is whole synthesised prompts, in order (barge-in drops some)
    for text in synthesizer.texts:
        if spoken.startswith(text, position):
            position += len(text)
    assert position == len(spoken)
    assert all(text == pii.redact_text(text) for text in synthesizer.texts)
    assert CARD not in spoken and not pii.contains_card(spoken)
    no_card_in(output.frames)


# --------------------------------------------------------------- real speech, spliced

#: Each digit's clip: which occurrence of the word in digits_en.wav, how many 10 ms frames
#: to move the segmenter's start and end by (negative: earlier), and the fade in/out (ms).
#: Words cut from connected speech carry a fragment of their neighbour, which the digits
#: grammar hears as an extra word ("nine eight", "three eight"); these cuts were chosen by
#: measurement (PocketSphinx 5.1.1, en-us model): each word repeated four times with 150 ms
#: gaps is heard exactly, and so are the cards below, in groups and in one breath, streamed
#: in 20 or 100 ms chunks with 0.9-1.6 s between groups.
CLIP_CUTS = {
    "0": ("zero", 2, 0, 4, 20), "1": ("one", 2, -2, 0, 5), "2": ("two", 0, 2, 2, 20),
    "3": ("three", 0, 2, 6, 5), "8": ("eight", 0, -2, 4, 20), "9": ("nine", 0, -6, 4, 20),
}
QUIET_S = (5.0, 6.2)  # inside the pause before "zero one eight zero three"
WORD_GAP_MS, GROUP_GAP_MS = 150, 1200
CENTISECOND = audio.frame_bytes(10)


def luhn_complete(body: str) -> str:
    """``body`` and the check digit that makes it pass the Luhn check."""
    return next(body + digit for digit in "0123456789" if pii.luhn_valid(body + digit))


class Splicer:
    """Digit words cut from a real recording (PocketSphinx word segmentation) and spliced."""

    def __init__(self, pcm: bytes) -> None:
        import pocketsphinx

        decoder = pocketsphinx.Decoder(samprate=audio.SAMPLE_RATE, loglevel="FATAL")
        decoder.add_jsgf_string("digits", jsgf_for(speech_text.digits_grammar()))
        decoder.activate_search("digits")
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        assert decoder.hyp().hypstr == DIGITS_REF
        segments = [(s.word, s.start_frame, s.end_frame) for s in decoder.seg()]  # 100 frames/s
        self.quiet = pcm[int(QUIET_S[0] * 100) * CENTISECOND : int(QUIET_S[1] * 100) * CENTISECOND]
        assert any(w == "<sil>" and s <= QUIET_S[0] * 100 and QUIET_S[1] * 100 <= e for w, s, e in segments)
        assert audio.dbfs(self.quiet) < -50
        self.clips: Dict[str, bytes] = {}
        for digit, (word, occurrence, start_shift, end_shift, fade_ms) in CLIP_CUTS.items():
            _, start, end = [seg for seg in segments if seg[0] == word][occurrence]
            clip = pcm[(start + start_shift) * CENTISECOND : (end + 1 + end_shift) * CENTISECOND]
            self.clips[digit] = fade(clip, fade_ms)

    def silence(self, ms: int) -> bytes:
        """The recording's own silence (its background noise), ``ms`` long."""
        size = audio.frame_bytes(ms)
        return (self.quiet * (size // len(self.quiet) + 1))[:size]

    def say(self, groups: Sequence[str]) -> Tuple[bytes, List[Tuple[int, int]]]:
        """The groups read with pauses, after 0.8 s and before 1.5 s of silence; and where
        each word lies (byte ranges)."""
        out, words = bytearray(self.silence(800)), []
        for g, group in enumerate(groups):
            if g:
                out += self.silence(GROUP_GAP_MS)
            for k, digit in enumerate(group):
                if k:
                    out += self.silence(WORD_GAP_MS)
                words.append((len(out), len(out) + len(self.clips[digit])))
                out += self.clips[digit]
        out += self.silence(1500)
        return bytes(out), words


def fade(pcm: bytes, ms: int) -> bytes:
    """Linear fade in and out over ``ms`` (no click where a clip starts or ends)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    n = min(audio.frame_bytes(ms) // 2, len(samples) // 2)
    ramp = np.linspace(0.0, 1.0, n)
    samples[:n] *= ramp
    samples[len(samples) - n :] *= ramp[::-1]
    return samples.astype("<i2").tobytes()


@pytest.fixture(scope="module")
def splicer() -> Splicer:
    return Splicer(audio.read_wav(need(DIGITS_WAV)))


def pocketsphinx_session(conversation: FakeConversation) -> Tuple[VoiceSession, FakeOutput]:
    """A session with the real English recogniser (the session sets the digits grammar)."""
    recognizer = AsyncRecognizer(EndpointedRecognizer(PocketSphinxRecognizer(), SilenceEndpointer(1200)))
    call, output, _ = new_session(recognizer, conversation)
    return call, output


@pytest.mark.parametrize("body, sizes", [
    ("280001180323818", (4, 4, 4, 4)),  # read in four groups
    ("280830808388030", (16,)),  # in one breath
])
async def test_a_real_voice_reading_a_card_is_muted(splicer, monkeypatch, body, sizes):
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.5)
    card = luhn_complete(body)
    assert pii.is_card_number(card) and card[0] in "23" and set(card) <= set(CLIP_CUTS)
    groups, start = [], 0
    for size in sizes:
        groups.append(card[start : start + size])
        start += size
    pcm, words = splicer.say(groups)
    conversation = FakeConversation(slot="account_number")
    call, output = pocketsphinx_session(conversation)
    await scripted_call(call, list(audio.split_frames(pcm, 20)), then=lambda: len(conversation.turns) > 1)

    assert conversation.turns[-1] == card  # heard exactly: the muting below is not vacuous
    assert call.caller_audio != pcm and len(call.caller_audio) == len(pcm)
    recorded = np.frombuffer(bytes(call.caller_audio), dtype="<i2")
    for start, end in words:  # every spoken digit is silence now
        assert not recorded[start // 2 : end // 2].any()
    tail = audio.frame_bytes(800)  # after the last utterance's endpoint: the caller's silence, kept
    assert call.caller_audio[-tail:] == pcm[-tail:]
    no_card_in(output.frames)
    assert any(f["type"] == "transcript" and "card ending" in f["text"] for f in output.frames)


async def test_a_real_voice_reading_an_account_number_is_kept(digits_pcm, monkeypatch):
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.5)
    pcm = digits_pcm + audio.silence(1500)
    conversation = FakeConversation(slot="account_number")
    call, output = pocketsphinx_session(conversation)
    await scripted_call(call, list(audio.split_frames(pcm, 20)), then=lambda: len(conversation.turns) > 1)
    assert conversation.turns[-1] == "100019021001803"
    assert call.caller_audio == pcm
    assert [f["text"] for f in output.frames if f["type"] == "transcript"] == ACCOUNT_GROUPS
