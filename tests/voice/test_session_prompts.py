"""Prompts of a call when speech synthesis fails: the caller's screen still shows them."""

from __future__ import annotations

import asyncio

from tests.voice.session_harness import FakeConversation, FakeSynthesizer, ScriptedRecognizer, new_session, until
from voice.session import Inbound
from voice.tts import TTSError


class FailingFirstSynthesizer(FakeSynthesizer):
    """Fails the first prompt (the greeting with the recording disclosure), renders the rest."""

    async def render_async(self, language: str, text: str) -> bytes:
        if not self.texts:
            self.texts.append(text)
            raise TTSError("pyttsx3 did not finish within 10 s; the espeak-ng program failed too")
        return await super().render_async(language, text)


async def test_a_prompt_that_cannot_be_spoken_is_still_shown_and_the_call_goes_on() -> None:
    call, output, _ = new_session(ScriptedRecognizer({}), FakeConversation())
    call.tts = FailingFirstSynthesizer()
    runner = asyncio.create_task(call.run())
    await until(lambda: sum(f["type"] == "bot" for f in output.frames) >= 2, what="the greeting and the menu")
    await call.inbound.put(Inbound("hangup"))
    assert await asyncio.wait_for(runner, timeout=10) == "caller_hung_up"

    bots = [f for f in output.frames if f["type"] == "bot"]
    assert "This call is recorded" in bots[0]["text"] and bots[0].get("spoken") is False, bots
    assert "press 1" in bots[1]["text"] and "spoken" not in bots[1], bots
    audio_frames = [f for f in output.frames if f["type"] == "audio"]
    assert len(audio_frames) == 1, "only the menu had audio to play"
