"""The no-input timer of a call: the caller's silence is counted, the assistant's thinking is not."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from tests.voice.session_harness import FakeConversation, ScriptedRecognizer, new_session, until
from voice.session import Inbound, VoiceSession, VoiceSettings

REPLY = "Your last bill was 20 euros. Anything else?"


class SlowConversation(FakeConversation):
    """An assistant that takes ``delay`` seconds per turn, then sends its reply as the gateway
    does: as a conversation event that reaches the call after the turn."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.call: Optional[VoiceSession] = None

    async def turn(self, text: str, metadata: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        self.turns.append(text)
        await asyncio.sleep(self.delay)
        assert self.call is not None
        await self.call.inbound.put(Inbound("event", event={"type": "message", "role": "bot", "text": REPLY}))
        return None


def _names(frames: List[Dict[str, Any]]) -> List[str]:
    """Each frame as one word: the bot's texts, and the names of the events."""
    return [f"bot:{f['text']}" if f["type"] == "bot" else f.get("name", f["type"]) for f in frames]


async def test_a_slow_answer_is_not_the_callers_silence() -> None:
    # The assistant takes twice the no-input time to answer. The no-input clock starts when
    # the answer has been spoken, so the first reprompt comes after it, never before it.
    settings = VoiceSettings(no_input_seconds=0.5, max_no_input=3, pacing=0.0)
    conversation = SlowConversation(delay=1.0)
    call, output, _ = new_session(ScriptedRecognizer({}), conversation, settings)
    conversation.call = call

    async def caller() -> None:
        try:
            await call.inbound.put(Inbound("dtmf", digit="1"))
            await until(lambda: any(f.get("name") == "no_input" for f in output.frames), what="a no-input reprompt")
        finally:
            await call.inbound.put(Inbound("hangup"))

    feeder = asyncio.create_task(caller())
    assert await asyncio.wait_for(call.run(), timeout=30) == "caller_hung_up"
    await feeder

    names = _names(output.frames)
    assert f"bot:{REPLY}" in names, f"the assistant's answer was never spoken: {names}"
    first_no_input = names.index("no_input")
    assert names.index(f"bot:{REPLY}") < first_no_input, (
        f"a no-input reprompt came before the assistant's answer (the wait for it counted as silence): {names}"
    )
    assert [f["count"] for f in output.frames if f.get("name") == "no_input"] == [1]
