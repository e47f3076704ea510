"""A phone call end to end through the real stack with ``voice.client``: the greeting and
disclosure, an IVR choice by key, a real recording of a spoken account number, barge-in,
a no-input reprompt, and a transfer to an agent whose typed reply the caller hears; a caller
who hangs up (or whose line drops) while queued is counted as abandoned."""

from __future__ import annotations

import asyncio
import json
from typing import Iterator

import pytest
import websockets

from switchboard import paths
from tests.helpers import http
from tests.stack_support import RunningStack, desk_login, running_stack
from voice import audio
from voice.client import CallClient

pytestmark = pytest.mark.stack

DIGITS_WAV = paths.shared_data() / "speech" / "digits_en.wav"
ACCOUNT = "100019021001803"


@pytest.fixture(scope="module")
def phone(model_path, tmp_path_factory, monkeypatch_module) -> Iterator[RunningStack]:
    monkeypatch_module.setenv("SWITCHBOARD_VOICE_NO_INPUT_SECONDS", "4")
    with running_stack(tmp_path_factory.mktemp("voice-data"), open_now=True) as running:
        yield running


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _url(stack: RunningStack) -> str:
    return stack.gateway.replace("http://", "ws://") + "/voice/ws"


async def eventually(predicate, timeout: float = 15.0):
    """Poll ``predicate`` without blocking the event loop (the call client runs on it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.2)
    return False


def event(name: str):
    return lambda f: f.get("type") == "event" and f.get("name") == name


def bot_says(words: str):
    return lambda f: f.get("type") == "bot" and words in f.get("text", "")


async def test_a_call_from_menu_to_agent(phone: RunningStack) -> None:
    caller = audio.read_wav(DIGITS_WAV)
    async with CallClient(_url(phone), caller_id="+44 20 7946 0018", language="en") as call:
        await call.wait_for(bot_says("This call is recorded"))
        menu = await call.wait_for(bot_says("press 1"))
        assert "press 0" in menu["text"]
        await asyncio.sleep(1.0)
        await call.dtmf("1")  # billing, pressed while the menu is still playing
        assert (await call.wait_for(event("barge_in")))["by"] == "dtmf"
        chosen = await call.wait_for(event("menu"))
        assert chosen["key"] == "1" and chosen["intent"] == "check_bill"
        await call.wait_for(bot_says("account number"))

        # The caller starts speaking over the question: playback stops, the digits are heard.
        mark = len(call.frames)
        await call.send_audio(caller)
        await call.send_silence(2.0)
        assert (await call.wait_for(event("barge_in"), after=mark))["by"] == "speech"
        heard = await call.wait_for(lambda f: f.get("type") == "transcript" and f.get("text"), timeout=60, after=mark)
        assert heard["text"].split()[:4] == ["one", "zero", "zero", "zero"]
        await call.wait_for(bot_says("date of birth"), after=mark)

        # Silence: a reprompt that repeats the question.
        mark = len(call.frames)
        await call.send_silence(6.0)
        assert (await call.wait_for(event("no_input"), after=mark))["count"] == 1
        await call.wait_for(bot_says("didn't hear"), after=mark)

        # The caller asks for a person: queued, with the IVR path and the transcript for the agent.
        await call.dtmf("0")
        queued = await call.wait_for(event("queued"), timeout=60)
        assert queued["queue"] == "billing"  # the IVR choice routes the handoff

        auth = desk_login(phone.gateway, "sam")
        assert http("POST", f"{phone.gateway}/api/handoffs/{queued['id']}/accept", headers=auth)[0] == 200
        status, detail = http("GET", f"{phone.gateway}/api/handoffs/{queued['id']}", headers=auth)
        context = detail["context"]
        assert context["channel"] == "voice" and context["ivr_path"][:1] == ["menu:1"]
        assert ACCOUNT in [m["text"] for m in context["transcript"] if m["role"] == "customer"]

        mark = len(call.frames)
        audio_before = len(call.bot_audio)
        http("POST", f"{phone.gateway}/api/handoffs/{queued['id']}/messages",
             {"text": "Hello, this is Sam from billing."}, headers=auth)
        await call.wait_for(bot_says("this is Sam from billing"), after=mark)
        spoken = await call.wait_for(lambda f: f.get("type") == "audio", after=mark)
        assert spoken["sample_rate"] == 16000 and spoken["bytes"] > 0
        assert await eventually(lambda: len(call.bot_audio) > audio_before + 8000)
    # With consent, both sides were recorded and linked to the conversation.
    assert await eventually(lambda: list((phone.data_dir / "recordings").glob("*/bot.wav")))
    caller_wav = next((phone.data_dir / "recordings").glob("*/caller.wav"))
    assert audio.duration_s(audio.read_wav(caller_wav)) > audio.duration_s(caller)

    def linked() -> bool:
        messages = http("GET", f"{phone.gateway}/api/handoffs/{queued['id']}/messages", headers=auth)[1]["messages"]
        return any(m["role"] == "system" and m["text"] == "call recording saved" for m in messages)

    assert await eventually(linked)


async def _queue_a_call(call: CallClient) -> dict:
    """Billing from the menu, then a person: the caller waits in the queue; the queued event."""
    await call.wait_for(bot_says("press 1"))
    await call.dtmf("1")
    await call.wait_for(event("menu"))
    await call.wait_for(bot_says("account number"))
    await call.dtmf("0")
    queued = await call.wait_for(event("queued"), timeout=60)
    assert queued["status"] == "queued"
    return queued


async def _abandoned(stack: RunningStack, handoff_id: int, auth: dict) -> None:
    """The handoff is abandoned within a few seconds; nobody can take it; the KPIs count it."""
    def status() -> str:
        return http("GET", f"{stack.gateway}/api/handoffs/{handoff_id}", headers=auth)[1]["status"]

    assert await eventually(lambda: status() == "abandoned", timeout=5.0), status()
    code, refused = http("POST", f"{stack.gateway}/api/handoffs/{handoff_id}/accept", headers=auth)
    assert (code, refused["error"]) == (409, "not_queued")
    code, kpis = http("GET", f"{stack.gateway}/api/supervisor/kpis?hours=1", headers=auth)
    assert code == 200 and kpis["abandonment_rate"] > 0


async def test_a_caller_who_hangs_up_in_the_queue_has_abandoned(phone: RunningStack) -> None:
    auth = desk_login(phone.gateway, "sam")
    async with CallClient(_url(phone), caller_id="+44 20 7946 0021", language="en") as call:
        queued = await _queue_a_call(call)
    # Leaving the block sends {"type": "hangup"} and closes the connection.
    await _abandoned(phone, queued["id"], auth)


async def test_a_caller_who_vanishes_from_the_queue_has_abandoned(phone: RunningStack) -> None:
    auth = desk_login(phone.gateway, "sam")
    call = CallClient(_url(phone), caller_id="+44 20 7946 0022", language="en")
    await call.__aenter__()
    try:
        queued = await _queue_a_call(call)
    finally:
        call._ws.transport.abort()  # no hangup frame, no closing handshake: the line just drops
        if call._receiver:
            call._receiver.cancel()
    await _abandoned(phone, queued["id"], auth)


@pytest.mark.parametrize(
    "start, code",
    [
        ({"type": "start", "caller_id": "+15550101", "sample_rate": 8000}, "unsupported_sample_rate"),
        ({"type": "start", "caller_id": "+15550101", "sample_rate": 16000, "language": "de"}, "invalid_field"),
        ({"type": "hello"}, "invalid_frame"),
    ],
)
async def test_a_bad_start_frame_is_refused_clearly(phone: RunningStack, start, code) -> None:
    async with websockets.connect(_url(phone)) as ws:
        await ws.send(json.dumps(start))
        error = json.loads(await ws.recv())
        assert error["type"] == "error" and error["error"] == code
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.code == 4400


async def test_bad_audio_frames_get_errors_and_the_call_goes_on(phone: RunningStack) -> None:
    async with CallClient(_url(phone), caller_id="+15550102", language="en") as call:
        await call.wait_for(event("call_started"))
        await call._ws.send(b"\x01\x02\x03")  # odd byte count: not s16le
        assert (await call.wait_for(lambda f: f.get("type") == "error"))["error"] == "invalid_audio"
        mark = len(call.frames)
        await call._ws.send(b"RIFF" + bytes(400))  # a WAV file, not raw PCM
        assert (await call.wait_for(lambda f: f.get("type") == "error", after=mark))["error"] == "invalid_audio"
        mark = len(call.frames)
        await call._ws.send(bytes(40000))  # over one second in one frame
        assert (await call.wait_for(lambda f: f.get("type") == "error", after=mark))["error"] == "frame_too_large"
        mark = len(call.frames)
        await call.dtmf("x")
        assert (await call.wait_for(lambda f: f.get("type") == "error", after=mark))["error"] == "invalid_field"
        await call.wait_for(bot_says("press 1"))  # the call is still running
    assert http("GET", f"{phone.gateway}/health")[0] == 200


async def test_a_caller_vanishing_mid_call_leaves_the_gateway_healthy(phone: RunningStack) -> None:
    ws = await websockets.connect(_url(phone))
    await ws.send(json.dumps({"type": "start", "caller_id": "+15550103", "sample_rate": 16000, "language": "en"}))
    await ws.recv()
    await ws.send(audio.silence(200))
    ws.transport.abort()
    await asyncio.sleep(1.0)
    assert http("GET", f"{phone.gateway}/health")[1]["components"]["gateway"] == "up"


async def test_blocked_callers_and_silent_calls_are_ended(phone: RunningStack) -> None:
    async with websockets.connect(_url(phone)) as ws:
        await ws.send(json.dumps({"type": "start", "caller_id": "+44 20 7946 0999", "sample_rate": 16000}))
        assert json.loads(await ws.recv()) == {"type": "event", "name": "ended", "reason": "blocked"}
    async with CallClient(_url(phone), caller_id="+15550104", language="en") as call:
        await call.wait_for(bot_says("press 1"))
        await call.send_silence(8.0)  # a robocall: nothing through the greeting and menu
        ended = await call.wait_for(event("ended"), timeout=30)
        assert ended["reason"] == "silent_call"


async def test_a_dtmf_flood_ends_the_call(phone: RunningStack) -> None:
    async with CallClient(_url(phone), caller_id="+15550105", language="en") as call:
        await call.wait_for(event("call_started"))
        for _ in range(12):
            await call.dtmf("#")
        assert (await call.wait_for(event("ended"), timeout=30))["reason"] == "dtmf_flood"


def test_health_says_which_engine_serves_each_language(phone: RunningStack) -> None:
    status, body = http("GET", f"{phone.gateway}/health")
    assert body["voice"]["en"] in ("vosk", "pocketsphinx+whisper")
    assert set(body["voice"]) == {"en", "fr", "ro", "uk", "lt", "zh"}
