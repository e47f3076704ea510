"""Silero VAD (``voice.vad``): a real voice is speech, a burst of noise is not, and only
speech interrupts the bot (barge-in)."""

from __future__ import annotations

import asyncio
from typing import List

import numpy as np
import pytest

from tests.voice.conftest import TESTDATA, need
from tests.voice.session_harness import FakeConversation, FakeOutput, ScriptedRecognizer, until
from voice import audio
from voice.session import Inbound, VoiceSession, VoiceSettings
from voice.vad import SileroStream, Utterances, VoiceActivity

SPEECH_WAV = TESTDATA / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav"  # "he was not an ill disposed young man"


def noise_burst(ms: int = 250, rms: float = 0.3, seed: int = 7) -> bytes:
    """White noise as loud as shouted speech (-10 dBFS): a cough, a door, a crackling line."""
    samples = np.random.default_rng(seed).normal(0, rms, audio.SAMPLE_RATE * ms // 1000)
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def speech() -> bytes:
    return audio.read_wav(need(SPEECH_WAV))


def test_a_real_voice_is_speech() -> None:
    scores = SileroStream().probabilities(speech())
    assert np.mean(np.array(scores) >= 0.5) > 0.5, scores  # measured 0.81 of its 32 ms chunks
    activity = VoiceActivity(min_speech_ms=120)
    assert any(activity.update(frame) for frame in audio.split_frames(speech(), 20))


@pytest.mark.parametrize("ms", [100, 250, 600])
def test_a_noise_burst_is_not_speech_though_it_is_loud(ms) -> None:
    burst = audio.silence(300) + noise_burst(ms) + audio.silence(300)
    assert audio.SpeechDetector(min_speech_ms=80).update(noise_burst(ms)), "the burst is loud enough to pass for speech"
    activity = VoiceActivity(min_speech_ms=120)
    assert not any(activity.update(chunk) for chunk in audio.split_frames(burst, 20))


def test_silence_is_not_speech() -> None:
    assert not VoiceActivity().update(audio.silence(2000))


class LongPrompts:
    """Every prompt lasts 3 s (silence), so the bot is still speaking when the caller makes a sound."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    async def render_async(self, language: str, text: str) -> bytes:
        self.texts.append(text)
        return audio.silence(3000)


async def _sound_during_the_greeting(sound: bytes) -> FakeOutput:
    """Start a call, make ``sound`` while the greeting plays, then hang up; its output."""
    output = FakeOutput()
    call = VoiceSession("+15550100", "en", output, FakeConversation(), LongPrompts(),
                        VoiceSettings(no_input_seconds=3600, pacing=1.0), lambda lang: _scripted())
    frames = list(audio.split_frames(sound, 20))

    async def caller() -> None:
        try:
            await until(lambda: any(f["type"] == "audio" for f in output.frames), what="the greeting to play")
            for frame in frames:
                await call.inbound.put(Inbound("audio", audio=frame))
            await until(lambda: len(call.caller_audio) == len(sound), what="the sound to be heard")
            await until(lambda: any(f.get("name") == "barge_in" for f in output.frames) or call.inbound.empty())
            await asyncio.sleep(0.2)  # the last frame's turn through the loop
        finally:
            await call.inbound.put(Inbound("hangup"))

    feeder = asyncio.create_task(caller())
    assert await asyncio.wait_for(call.run(), timeout=60) == "caller_hung_up"
    await feeder
    return output


async def _scripted() -> ScriptedRecognizer:
    return ScriptedRecognizer({})


async def test_a_noise_burst_during_bot_speech_does_not_barge_in() -> None:
    output = await _sound_during_the_greeting(noise_burst(250) + audio.silence(300))
    assert not [f for f in output.frames if f.get("name") == "barge_in"], output.frames


async def test_the_callers_voice_during_bot_speech_barges_in() -> None:
    output = await _sound_during_the_greeting(speech())
    assert [f["by"] for f in output.frames if f.get("name") == "barge_in"] == ["speech"], output.frames


SECOND_WAV = TESTDATA / "librivox" / "sense_and_sensibility_01_austen_64kb-0930.wav"  # "he might even have been made amiable himself"


def _utterances(pcm: bytes, hold_ms: int = 550) -> List[bytes]:
    cutter = Utterances(hold_ms=hold_ms)
    ended = [u for frame in audio.split_frames(pcm, 20) for u in cutter.feed(frame)]
    last = cutter.flush()
    return ended + ([last] if last else [])


def test_a_breath_shorter_than_the_hold_does_not_end_the_turn() -> None:
    # The recordings end and start with their own quiet: about 0.45 s between the sentences.
    first, second = speech(), audio.read_wav(need(SECOND_WAV))
    assert len(_utterances(first + second + audio.silence(800))) == 1
    assert len(_utterances(first + second + audio.silence(800), hold_ms=200)) == 2  # a short hold cuts there


def test_a_pause_longer_than_the_hold_ends_it() -> None:
    first, second = speech(), audio.read_wav(need(SECOND_WAV))
    cut = _utterances(first + audio.silence(1500) + second + audio.silence(800))
    assert len(cut) == 2
    # Each utterance holds its sentence: from the pre-roll before the first word to the hold after the last.
    assert audio.duration_s(first) - 1.0 < audio.duration_s(cut[0]) < audio.duration_s(first) + 1.5


def test_noise_is_no_utterance() -> None:
    assert _utterances(audio.silence(300) + noise_burst(600) + audio.silence(1000)) == []
