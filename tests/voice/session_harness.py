"""A :class:`VoiceSession` in-process: a scripted recogniser, a fake conversation, output and
synthesiser (the gateway and the phone are what these stand in for, not the call flow)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from voice import audio
from voice.session import Inbound, VoiceSession, VoiceSettings
from voice.stt import Result

FRAME = audio.frame_bytes(20)


class ScriptedRecognizer:
    """The AsyncRecognizer interface; ``accept`` returns the scripted result at frame N (1-based)."""

    engine = "scripted"

    def __init__(self, script: Dict[int, Result]) -> None:
        self.script = script
        self.frames = 0
        self.grammars: List[Optional[Sequence[str]]] = []

    async def accept(self, pcm: bytes) -> Optional[Result]:
        self.frames += 1
        return self.script.get(self.frames)

    async def finish(self) -> Result:
        return Result("", True, self.engine, "finish")

    async def reset(self) -> None:
        pass

    async def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        self.grammars.append(phrases)


def final(text: str) -> Result:
    return Result(text, True, "scripted", "engine")


def partial(text: str) -> Result:
    return Result(text, False, "scripted")


class FakeOutput:
    """The CallOutput: JSON frames in ``frames``, the bot audio the caller hears in ``played``."""

    def __init__(self) -> None:
        self.frames: List[Dict[str, Any]] = []
        self.played = bytearray()

    async def event(self, frame: Dict[str, Any]) -> None:
        self.frames.append(json.loads(json.dumps(frame)))

    async def audio(self, pcm: bytes) -> None:
        self.played += pcm


class FakeConversation:
    """The gateway side: records the caller's turns; the assistant asks for ``slot``."""

    def __init__(self, slot: Optional[str] = None) -> None:
        self.slot = slot
        self.turns: List[str] = []

    async def follow(self) -> str:
        return "conversation-1"

    async def turn(self, text: str, metadata: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        self.turns.append(text)
        return None

    async def requested_slot(self) -> Optional[str]:
        return self.slot


class FakeSynthesizer:
    """'Speech' that spells the text: one sample per character, so bot audio can be read back."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    async def render_async(self, language: str, text: str) -> bytes:
        self.texts.append(text)
        return render(text)


def render(text: str) -> bytes:
    return np.array([ord(c) for c in text], dtype="<i2").tobytes()


def read_back(pcm: bytes) -> str:
    return "".join(chr(v) for v in np.frombuffer(bytes(pcm), dtype="<i2"))


def caller_frames(count: int) -> List[bytes]:
    """Frame k (0-based) holds the sample value k + 1: quiet, non-zero, and tells frames apart."""
    return [np.full(FRAME // 2, k + 1, dtype="<i2").tobytes() for k in range(count)]


async def until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "the call") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def new_session(
    recognizer: Any, conversation: Any, settings: Optional[VoiceSettings] = None
) -> Tuple[VoiceSession, FakeOutput, FakeSynthesizer]:
    """An English call; by default prompts play at once and the no-input timer never fires."""
    output, synthesizer = FakeOutput(), FakeSynthesizer()

    async def factory(language: str) -> Any:
        return recognizer

    settings = settings or VoiceSettings(no_input_seconds=60, pacing=0.0)
    call = VoiceSession("+15550100", "en", output, conversation, synthesizer, settings, recognizer_factory=factory)
    return call, output, synthesizer


async def scripted_call(call: VoiceSession, frames: List[bytes], then: Callable[[], bool] = lambda: True,
                        what: str = "the call") -> str:
    """Press 1 (billing), send ``frames``, wait for ``then`` (``what`` it waits for), hang up;
    the end reason."""

    async def caller() -> None:
        try:
            await call.inbound.put(Inbound("dtmf", digit="1"))
            for frame in frames:
                await call.inbound.put(Inbound("audio", audio=frame))
            await until(lambda: call.inbound.empty() and then(), what=what)
        finally:
            await call.inbound.put(Inbound("hangup"))

    feeder = asyncio.create_task(caller())
    reason = await asyncio.wait_for(call.run(), timeout=60)
    await feeder
    return reason
