"""A caller in a terminal: ``python -m voice.client call.wav`` streams a WAV file to
``/voice/ws`` in real time, prints what was heard and said, and saves the bot's audio.

    python -m voice.client ../shared/data/speech/digits_en.wav --dtmf 1@4 --out bot.wav

:class:`CallClient` is the same client as a library, for scripted calls in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import websockets

from voice import audio

FRAME_MS = 20


class CallClient:
    """One call: send audio and keys, collect the server's frames and the bot's audio."""

    def __init__(self, url: str, caller_id: str = "+15550100", language: Optional[str] = "en") -> None:
        self.url = url
        self.caller_id = caller_id
        self.language = language
        self.frames: List[Dict[str, Any]] = []
        self.frame_times: List[float] = []  # when each frame arrived (time.monotonic)
        self.bot_audio = bytearray()
        self._ws: Any = None
        self._receiver: Optional[asyncio.Task] = None
        self._changed = asyncio.Event()
        self.closed = False

    async def __aenter__(self) -> "CallClient":
        self._ws = await websockets.connect(self.url, max_size=None)
        start: Dict[str, Any] = {"type": "start", "caller_id": self.caller_id, "sample_rate": audio.SAMPLE_RATE}
        if self.language:
            start["language"] = self.language
        await self._ws.send(json.dumps(start))
        self._receiver = asyncio.create_task(self._receive())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            try:
                await self._ws.send(json.dumps({"type": "hangup"}))
            except websockets.ConnectionClosed:
                pass
        await self._ws.close()
        if self._receiver:
            self._receiver.cancel()

    async def _receive(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, bytes):
                    self.bot_audio += message
                else:
                    frame = json.loads(message)
                    if frame.get("type") == "event" and frame.get("name") == "barge_in":
                        pass  # a real phone would drop its playback buffer here
                    self.frames.append(frame)
                    self.frame_times.append(time.monotonic())
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._changed.set()

    async def send_audio(self, pcm: bytes, speed: float = 1.0) -> None:
        """Stream ``pcm`` in 20 ms frames, paced as a phone would (``speed`` 2.0: twice as fast)."""
        step = audio.frame_bytes(FRAME_MS)
        started = time.monotonic()
        for index, start in enumerate(range(0, len(pcm), step)):
            await self._ws.send(pcm[start : start + step])
            due = started + (index + 1) * FRAME_MS / 1000 / speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def send_silence(self, seconds: float, speed: float = 1.0) -> None:
        """Say nothing for ``seconds`` (low-level noise-free silence)."""
        await self.send_audio(audio.silence(int(seconds * 1000)), speed)

    async def dtmf(self, digit: str) -> None:
        """Press a key."""
        await self._ws.send(json.dumps({"type": "dtmf", "digit": digit}))

    async def wait_for(self, predicate: Callable[[Dict[str, Any]], bool], timeout: float = 60.0,
                       after: int = 0) -> Dict[str, Any]:
        """The first frame (from index ``after``) matching ``predicate``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames[after:]:
                if predicate(frame):
                    return frame
            if self.closed or time.monotonic() > deadline:
                raise TimeoutError(f"no matching frame; last frames: {self.frames[-5:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=max(0.05, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    def texts(self, kind: str) -> List[str]:
        """The texts of every frame of ``kind`` (bot, transcript, partial)."""
        return [f.get("text", "") for f in self.frames if f.get("type") == kind]


def _dtmf_plan(spec: str) -> List[Tuple[float, str]]:
    """'1@4,0@30' -> [(4.0, '1'), (30.0, '0')]."""
    plan = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        digit, _, at = item.partition("@")
        plan.append((float(at or 0), digit))
    return sorted(plan)


async def call(url: str, wav: Path, caller_id: str, language: Optional[str], dtmf: str, lead: float,
               tail: float, out: Optional[Path]) -> int:
    """Run one call from the command line."""
    pcm = audio.read_wav(wav)
    async with CallClient(url, caller_id, language) as client:
        async def keys() -> None:
            started = time.monotonic()
            for at, digit in _dtmf_plan(dtmf):
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                await client.dtmf(digit)

        key_task = asyncio.create_task(keys())
        await client.send_silence(lead)
        await client.send_audio(pcm)
        await client.send_silence(tail)
        key_task.cancel()
    for frame in client.frames:
        kind = frame.get("type")
        if kind == "transcript":
            print(f"caller: {frame['text']}")
        elif kind == "bot":
            print(f"bot:    {frame['text']}")
        elif kind == "event":
            print(f"event:  {frame.get('name')} {json.dumps({k: v for k, v in frame.items() if k not in ('type', 'name')})}")
        elif kind == "error":
            print(f"error:  {frame.get('error')}: {frame.get('message')}")
    if out:
        audio.write_wav(out, bytes(client.bot_audio))
        print(f"bot audio: {out} ({audio.duration_s(bytes(client.bot_audio)):.1f} s)")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wav", type=Path, help="what the caller says (any WAV; resampled to 16 kHz mono)")
    parser.add_argument("--url", default="ws://127.0.0.1:8080/voice/ws")
    parser.add_argument("--caller-id", default="+15550100")
    parser.add_argument("--language", default="en", help="skip the language menu ('' to hear it)")
    parser.add_argument("--dtmf", default="", help="keys to press, e.g. '1@4,0@30' (digit@seconds)")
    parser.add_argument("--lead", type=float, default=2.0, help="seconds of silence before the WAV")
    parser.add_argument("--tail", type=float, default=10.0, help="seconds of silence after it")
    parser.add_argument("--out", type=Path, default=Path("bot-audio.wav"))
    args = parser.parse_args(argv)
    if not args.wav.is_file():
        print(f"no such file: {args.wav}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(call(args.url, args.wav, args.caller_id, args.language or None, args.dtmf,
                                args.lead, args.tail, args.out))
    except (OSError, websockets.InvalidURI, websockets.InvalidHandshake) as error:
        print(f"cannot call {args.url}: {error}", file=sys.stderr)
        return 2
    except audio.AudioFormatError as error:
        print(f"cannot read {args.wav}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
