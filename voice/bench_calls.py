"""Call benchmark (``make bench-voice``): the whole stack, real speech, real time.

Starts the stack on free ports with its data in a temporary folder, then places calls with
``voice.client``: each caller hears the greeting, presses 1 (billing), and reads the
account number (``digits_en.wav``) over the bot's question. It prints:

- the response latency: from the end of the caller's speech to the first byte of the bot's
  answer audio (p50 and p95). It includes end-of-utterance detection (the recogniser's
  endpoint; the number read is a whole account number, so the 2.5 s wait for another digit
  group does not apply), Rasa, the action server and speech synthesis;
- how many concurrent calls 2 cores sustain in real time: calls per round double until the
  p95 latency passes ``--max-latency`` seconds or a call fails.
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
from typing import List, Optional, Sequence

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


async def one_call(ws_url: str, caller: bytes, index: int) -> float:
    """One scripted call; the seconds from the end of the caller's speech to bot audio."""
    async with CallClient(ws_url, caller_id=f"+1555{index:07d}", language="en") as call:
        await call.wait_for(lambda f: f.get("type") == "bot" and "press 1" in f.get("text", ""), timeout=120)
        await call.dtmf("1")
        await call.wait_for(lambda f: f.get("type") == "bot" and "account number" in f.get("text", ""), timeout=120)
        await call.send_audio(caller)
        mark, audio_mark, ended = len(call.frames), len(call.bot_audio), time.monotonic()
        silence_task = asyncio.create_task(call.send_silence(12.0))
        deadline = ended + 60
        while len(call.bot_audio) == audio_mark:  # the question's audio stopped at barge-in
            if time.monotonic() > deadline:
                raise TimeoutError("no answer within 60 s")
            await asyncio.sleep(0.005)
        latency = time.monotonic() - ended
        await call.wait_for(lambda f: f.get("type") == "bot" and "date of birth" in f.get("text", ""),
                            timeout=120, after=mark)
        silence_task.cancel()
        return latency


def _pct(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def rounds(ws_url: str, caller: bytes, max_calls: int, max_latency: float) -> None:
    """Double the concurrent calls until latency or failures say the machine is full.

    Calls are sustained in real time while no call fails and the p95 latency stays within
    ``max_latency`` of a single call's (the end-of-number pause is the same for all).
    """
    sustained = 0
    baseline = 0.0
    concurrent = 1
    while concurrent <= max_calls:
        results = await asyncio.gather(*(one_call(ws_url, caller, i) for i in range(concurrent)), return_exceptions=True)
        latencies = [r for r in results if isinstance(r, float)]
        failures = len(results) - len(latencies)
        if latencies:
            p50, p95 = statistics.median(latencies), _pct(latencies, 0.95)
            print(f"{concurrent:>3} concurrent calls: latency p50 {p50:.2f} s, p95 {p95:.2f} s, failures {failures}",
                  flush=True)
        else:
            p95 = float("inf")
            print(f"{concurrent:>3} concurrent calls: all {failures} failed ({results[0]!r})", flush=True)
        if concurrent == 1:
            baseline = p95
        if failures or p95 > baseline + max_latency:
            break
        sustained = concurrent
        concurrent *= 2
    print(f"sustained in real time (no failures, p95 within {max_latency:.1f} s of one call's): {sustained} "
          f"concurrent calls on {os.cpu_count()} cores")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-calls", type=int, default=16)
    parser.add_argument("--max-latency", type=float, default=1.0,
                        help="how much slower than a single call the p95 may get (seconds)")
    args = parser.parse_args(argv)
    caller = audio.read_wav(paths.shared_data() / "speech" / "digits_en.wav")
    data_dir = Path(tempfile.mkdtemp(prefix="switchboard-bench-voice-"))
    process, url = start_stack(data_dir)
    try:
        ws_url = url.replace("http://", "ws://") + "/voice/ws"
        latency = asyncio.run(one_call(ws_url, caller, 0))  # warm-up: models load, prompts cached
        print(f"warm-up call: {latency:.2f} s from end of speech to bot audio", flush=True)
        asyncio.run(rounds(ws_url, caller, args.max_calls, args.max_latency))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
