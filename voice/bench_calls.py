"""Call benchmark (``make bench-voice``): the whole stack, real speech, real time.

Starts the stack on free ports with its data in a temporary folder, then places calls with
``voice.client``. Each caller hears the greeting, then either

- **account**: presses 1 (billing) and reads the account number (``digits_en.wav``, a whole
  15-digit number read in groups) over the bot's question; or
- **free**: says a sentence at the main menu (a librivox recording: real speech, free, so
  Whisper writes it), which goes straight to the assistant.

It prints the response latency, from the end of the caller's speech to the first byte of
the bot's answer audio (p50 and p95 over sequential calls): end-of-turn detection, speech
recognition, Rasa, the action server and speech synthesis. Then how many concurrent
free-speech calls 2 cores sustain in real time: calls per round (started spread over 6 s,
as independent callers are, not all speaking at the same instant) grow until a call fails
or the p95 latency passes twice ``--max-latency``; sustained are the most calls whose p95
kept within it (1.2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from switchboard import paths
from switchboard.ports import free_port
from voice import audio
from voice.client import CallClient


def start_stack(data_dir: Path) -> tuple:
    """The stack as ``make run`` starts it; returns (process, gateway URL)."""
    ports = {name: free_port() for name in ("gateway", "rasa", "action")}
    env = {**os.environ, "SWITCHBOARD_GATEWAY_PORT": str(ports["gateway"]), "SWITCHBOARD_RASA_PORT": str(ports["rasa"]),
           "SWITCHBOARD_ACTION_PORT": str(ports["action"]), "SWITCHBOARD_DATA_DIR": str(data_dir),
           "SWITCHBOARD_VOICE_RECORD": "false"}
    env.pop("DATABASE_URL", None)
    log = open(data_dir / "stack.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "switchboard.stack"], cwd=paths.ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{ports['gateway']}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the stack exited; see {data_dir / 'stack.log'}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if b'"status":"ok"' in response.read().replace(b" ", b""):
                    return process, url
        except OSError:
            pass
        time.sleep(1)
    process.kill()
    raise SystemExit("the stack did not become healthy in 300 s")


FREE_SPEECH = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")
ROUNDS = (1, 2, 4, 6, 8, 12, 16)
SPREAD_S = 6.0  # a round's calls start spread over this long, as independent callers do


async def _later(delay: float, work):
    await asyncio.sleep(delay)
    return await work


def trailing_quiet_s(pcm: bytes) -> float:
    """How long a recording goes on after its last speech (20 ms frames by loudness): the
    caller's speech ends that long before the recording does."""
    frames = list(audio.split_frames(pcm, 20))
    quiet = 0
    for frame in reversed(frames):
        if audio.is_speech(frame):
            break
        quiet += 1
    return quiet * 0.02


async def _first_answer_audio(call: CallClient, speech_ended: float) -> float:
    """Seconds from the end of the caller's speech to the bot's next audio (the server
    announces each prompt's audio in an "audio" frame just before its first bytes)."""
    deadline = speech_ended + 60
    while True:
        for frame, arrived in zip(call.frames, call.frame_times):
            if frame.get("type") == "audio" and arrived > speech_ended:
                return arrived - speech_ended
        if time.monotonic() > deadline:
            raise TimeoutError("no answer within 60 s")
        await asyncio.sleep(0.005)


async def _speak(call: CallClient, caller: bytes) -> Tuple[int, float, "asyncio.Task[None]"]:
    """Say ``caller`` over the current prompt, then keep the line open with silence: where the
    frames after it start, the latency of the answer, and the silence to cancel."""
    mark = len(call.frames)
    await call.send_audio(caller)
    ended = time.monotonic() - trailing_quiet_s(caller)
    silence = asyncio.create_task(call.send_silence(12.0))
    return mark, await _first_answer_audio(call, ended), silence


async def account_call(ws_url: str, caller: bytes, index: int) -> float:
    """Billing, then the account number; the seconds from the end of speech to bot audio."""
    async with CallClient(ws_url, caller_id=f"+1555{index:07d}", language="en") as call:
        await call.wait_for(lambda f: f.get("type") == "bot" and "press 1" in f.get("text", ""), timeout=120)
        await call.dtmf("1")
        await call.wait_for(lambda f: f.get("type") == "bot" and "account number" in f.get("text", ""), timeout=120)
        mark, latency, silence_task = await _speak(call, caller)
        await call.wait_for(lambda f: f.get("type") == "bot" and "date of birth" in f.get("text", ""),
                            timeout=120, after=mark)
        silence_task.cancel()
        return latency


async def free_call(ws_url: str, caller: bytes, index: int) -> float:
    """A sentence at the main menu; the seconds from the end of speech to bot audio."""
    async with CallClient(ws_url, caller_id=f"+1556{index:07d}", language="en") as call:
        await call.wait_for(lambda f: f.get("type") == "bot" and "press 1" in f.get("text", ""), timeout=120)
        mark, latency, silence_task = await _speak(call, caller)
        heard = await call.wait_for(lambda f: f.get("type") == "transcript" and f.get("text"), timeout=60, after=mark)
        if index == 0:
            print(f"  free speech heard as: {heard['text']!r}", flush=True)
        silence_task.cancel()
        return latency


def _pct(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def sequential(kind: str, call, ws_url: str, caller: bytes, count: int) -> None:
    """``count`` calls one after another: the latency of an unloaded machine."""
    latencies = [await call(ws_url, caller, i) for i in range(count)]
    print(f"{kind:8} latency over {count} calls: p50 {statistics.median(latencies):.2f} s, "
          f"p95 {_pct(latencies, 0.95):.2f} s (each: {', '.join(f'{v:.2f}' for v in latencies)})", flush=True)


async def rounds(ws_url: str, caller: bytes, max_calls: int, max_latency: float) -> None:
    """More concurrent free-speech calls per round until a call fails or p95 passes twice
    ``max_latency``; sustained are the most calls whose p95 kept within it."""
    sustained, within = 0, True
    for concurrent in (n for n in ROUNDS if n <= max_calls):
        results = await asyncio.gather(*(_later(i * SPREAD_S / concurrent, free_call(ws_url, caller, 100 + i))
                                         for i in range(concurrent)), return_exceptions=True)
        latencies = [r for r in results if isinstance(r, float)]
        failures = len(results) - len(latencies)
        if latencies:
            p50, p95 = statistics.median(latencies), _pct(latencies, 0.95)
            print(f"{concurrent:>3} concurrent free-speech calls: latency p50 {p50:.2f} s, p95 {p95:.2f} s, "
                  f"failures {failures}", flush=True)
        else:
            p95 = float("inf")
            print(f"{concurrent:>3} concurrent calls: all {failures} failed ({results[0]!r})", flush=True)
        if failures or p95 > 2 * max_latency:
            break
        within = within and p95 <= max_latency
        if within:
            sustained = concurrent
    print(f"sustained in real time (no failures, p95 within {max_latency:.1f} s): {sustained} "
          f"concurrent free-speech calls on {os.cpu_count()} cores")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5, help="sequential calls per kind")
    parser.add_argument("--max-calls", type=int, default=16)
    parser.add_argument("--max-latency", type=float, default=1.2,
                        help="the p95 latency (seconds) concurrent calls must keep")
    args = parser.parse_args(argv)
    account = audio.read_wav(paths.shared_data() / "speech" / "digits_en.wav")
    free = audio.read_wav(FREE_SPEECH)
    data_dir = Path(tempfile.mkdtemp(prefix="switchboard-bench-voice-"))
    process, url = start_stack(data_dir)
    try:
        ws_url = url.replace("http://", "ws://") + "/voice/ws"
        latency = asyncio.run(account_call(ws_url, account, 0))  # warm-up: models load, prompts cached
        print(f"warm-up call: {latency:.2f} s from end of speech to bot audio", flush=True)
        asyncio.run(sequential("account", account_call, ws_url, account, args.calls))
        asyncio.run(sequential("free", free_call, ws_url, free, args.calls))
        asyncio.run(rounds(ws_url, free, args.max_calls, args.max_latency))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
