"""Numbers read in groups at a number prompt: the turn ends when the number is complete, and
only then; an incomplete one waits for the caller's next group.

The group pause is set to ten minutes where a test shows that a complete number does not
wait for it: a turn that waited would never reach the test (it fails on its 15 s timeout,
saying what it waited for), so no test here depends on how fast the machine is.
"""

from __future__ import annotations

import pytest

from tests.voice.conftest import DIGITS_WAV, need
from tests.voice.session_harness import FakeConversation, ScriptedRecognizer, caller_frames, final, new_session, scripted_call
from voice import audio, digit_collector
from voice.digit_collector import DigitCollector, NumberKind, is_complete
from voice.stt import AsyncRecognizer, EndpointedRecognizer, PocketSphinxRecognizer, SilenceEndpointer

ACCOUNT = "100019021001803"  # what digits_en.wav says: 15 digits
NEVER = 600.0  # a group pause no test waits for


@pytest.mark.parametrize("kind, digits, language, complete", [
    (NumberKind.ACCOUNT, ACCOUNT, "en", True),
    (NumberKind.ACCOUNT, ACCOUNT[:14], "en", False),
    (NumberKind.ACCOUNT, ACCOUNT + "1", "en", False),
    (NumberKind.PHONE, "07911123456", "en", True),  # a UK mobile
    (NumberKind.PHONE, "0791112345", "en", False),  # one digit short
    (NumberKind.PHONE, "447911123456", "en", True),  # with the country code
    (NumberKind.PHONE, "0612345678", "fr", True),  # a French mobile, read as French
    (NumberKind.PHONE, "061234567", "fr", False),
    (NumberKind.PHONE, "4111111111111111", "en", False),  # a card number is never a phone
])
def test_when_a_number_is_complete(kind, digits, language, complete) -> None:
    assert is_complete(kind, digits, language) is complete


def test_the_collector_waits_long_for_an_incomplete_number_and_briefly_for_a_complete_one() -> None:
    collector = DigitCollector()
    collector.expect("account_number", "en")
    collector.add("10001", now=100.0)
    assert collector.due == 100.0 + digit_collector.GROUP_PAUSE_S
    assert collector.take_if_due(101.0) is None
    collector.hold(now=102.0)  # the caller speaks again: the next group is coming
    assert collector.due == 102.0 + digit_collector.GROUP_PAUSE_S
    collector.add("9021001803", now=103.0)
    assert collector.complete() and collector.due == 103.0 + digit_collector.COMPLETE_PAUSE_S
    assert collector.take_if_due(103.0) == ACCOUNT
    assert not collector.pending


def test_a_prompt_that_is_not_for_a_number_collects_nothing() -> None:
    collector = DigitCollector()
    collector.expect("date_of_birth", "en")
    assert not collector.expecting
    collector.expect(None, "en")
    assert not collector.expecting


@pytest.mark.parametrize("slot, groups", [
    ("account_number", ["one zero zero zero one", "nine oh two one oh", "zero one eight zero three"]),
    ("callback_phone", ["oh seven nine one one", "one two three", "four five six"]),
])
async def test_a_complete_number_ends_the_turn_without_the_group_pause(monkeypatch, slot, groups) -> None:
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", NEVER)
    recognizer = ScriptedRecognizer({10 + 10 * k: final(group) for k, group in enumerate(groups)})
    conversation = FakeConversation(slot=slot)
    call, _, _ = new_session(recognizer, conversation)
    assert await scripted_call(call, caller_frames(40), lambda: len(conversation.turns) >= 2,
                               "the number's turn (did it wait for a group pause?)") == "caller_hung_up"
    # After the menu choice's turn, the number, whole: the first groups did not end the turn early.
    assert conversation.turns[1:] == [ACCOUNT if slot == "account_number" else "07911123456"]


async def test_an_incomplete_number_waits_for_the_next_group_then_goes_as_it_is(monkeypatch) -> None:
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", 0.3)
    groups = ["one zero zero zero one", "nine oh two one"]  # 9 digits of 15
    recognizer = ScriptedRecognizer({10 + 10 * k: final(group) for k, group in enumerate(groups)})
    conversation = FakeConversation(slot="account_number")
    call, _, _ = new_session(recognizer, conversation)
    assert await scripted_call(call, caller_frames(30), lambda: len(conversation.turns) >= 2,
                               "the incomplete number's turn after the group pause") == "caller_hung_up"
    assert conversation.turns[1:] == ["100019021"]  # one turn, both groups: the assistant asks again


async def test_a_real_voice_reading_a_whole_account_number_is_answered_without_the_group_pause(monkeypatch) -> None:
    monkeypatch.setattr(digit_collector, "GROUP_PAUSE_S", NEVER)
    pcm = audio.read_wav(need(DIGITS_WAV)) + audio.silence(1500)
    recognizer = AsyncRecognizer(EndpointedRecognizer(PocketSphinxRecognizer(), SilenceEndpointer(1200)))
    conversation = FakeConversation(slot="account_number")
    call, output, _ = new_session(recognizer, conversation)
    assert await scripted_call(call, list(audio.split_frames(pcm, 20)), lambda: len(conversation.turns) >= 2,
                               "the account number's turn (did it wait for a group pause?)") == "caller_hung_up"
    heard = [f["text"] for f in output.frames if f["type"] == "transcript"]
    assert len(heard) > 1, f"the recording was heard as one utterance, so no group pause was tested: {heard}"
    assert conversation.turns[1:] == [ACCOUNT]
