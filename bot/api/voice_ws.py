"""``/voice/ws``: a phone call over a websocket, on the same conversation model as chat.

Protocol (see README, "Voice channel"):

client -> server
    {"type": "start", "caller_id": "+44...", "sample_rate": 16000, "language"?: "en"}   first frame
    binary frames: caller audio, 16 kHz mono signed 16-bit little-endian PCM, up to 1 s each
    {"type": "dtmf", "digit": "0".."9"|"*"|"#"}
    {"type": "hangup"}
server -> client
    {"type": "event", "name": "call_started"|"stt"|"language"|"menu"|"barge_in"|"no_input"|
        "no_match"|"queued"|"handoff_assigned"|"recording"|"ended"|..., ...}
    {"type": "partial", "text"} / {"type": "transcript", "text"}   the caller's speech
    {"type": "bot", "text"}, then {"type": "audio", "bytes", "sample_rate"} and binary PCM frames
    {"type": "error", "error", "message"}                          bad input; the call goes on
On ``barge_in`` a client drops the bot audio it has buffered but not yet played.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request

from bot.api.request_body import parse_json
from bot.api.ws_support import error_frame, send_error, send_json
from bot.conversations import add_message, get_or_open
from bot.customer_turns import customer_turn
from bot.errors import ApiError, RasaUnavailable
from bot.events import Subscription, conversation_topic
from bot.presence import customer_hung_up, heartbeat
from bot.services import Services, services_of
from switchboard.languages import LANGUAGES
from voice import audio
from voice.recordings import save_recording
from voice.screening import load_blocklist, normalise_caller
from voice.session import Inbound, VoiceSession, VoiceSettings
from voice.stt import open_recognizer

logger = logging.getLogger(__name__)
bp = Blueprint("voice_ws")

CHANNEL = "voice"
START_TIMEOUT = 10.0
MAX_FRAME_BYTES = audio.SAMPLE_RATE * 2  # one second of audio
DIGITS = set("0123456789*#")
_BACKGROUND: set = set()  # recordings being saved after their call ended
# The first bytes of audio files (not raw PCM): WAV, Ogg, FLAC, MP3 with an ID3 tag.
CONTAINER_MAGIC = {b"RIFF", b"OggS", b"fLaC", b"ID3\x03", b"ID3\x04"}


def _start_frame(raw: Any) -> Dict[str, Any]:
    """Check the first frame; ApiError names what is wrong."""
    if not isinstance(raw, str):
        raise ApiError(400, "invalid_frame", "The first frame must be a JSON 'start' frame, not audio.")
    frame = parse_json(raw, "The start frame")
    if not isinstance(frame, dict) or frame.get("type") != "start":
        raise ApiError(400, "invalid_frame", "The first frame must be {\"type\": \"start\", ...}.")
    if frame.get("sample_rate") != audio.SAMPLE_RATE:
        raise ApiError(400, "unsupported_sample_rate",
                       f"Send 16 kHz mono 16-bit PCM ('sample_rate': 16000), not {frame.get('sample_rate')!r}.")
    caller = frame.get("caller_id", "anonymous")
    if not isinstance(caller, str) or not 1 <= len(caller) <= 40:
        raise ApiError(400, "invalid_field", "'caller_id' must be a string of 1 to 40 characters.")
    language = frame.get("language")
    if language is not None and language not in LANGUAGES:
        raise ApiError(400, "invalid_field", f"'language' must be one of: {', '.join(LANGUAGES)}.")
    return frame


class GatewayConversation:
    """The voice session's view of the gateway: turns, events and the assistant's state."""

    def __init__(self, services: Services, sender: str, session: VoiceSession) -> None:
        self.services = services
        self.sender = sender
        self.session = session
        self.conversation_id: Optional[str] = None
        self._tasks: List["asyncio.Task[None]"] = []
        self._subscription: Optional[Subscription] = None

    async def follow(self) -> str:
        async with self.services.transaction() as db:
            conversation = await get_or_open(db, CHANNEL, self.sender)
        self.conversation_id = conversation.id
        self._subscription = self.services.hub.open(conversation_topic(conversation.id))
        await self.services.hub.settled()  # agents on other gateway instances reach the call from now on
        self._tasks = [asyncio.create_task(self._forward()),
                       asyncio.create_task(heartbeat(self.services, conversation.id))]
        return conversation.id

    async def _forward(self) -> None:
        while True:
            event = await self._subscription.next()
            await self.session.inbound.put(Inbound("event", event=event))

    async def turn(self, text: str, metadata: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        result = await customer_turn(self.services, CHANNEL, self.sender, text, metadata)
        return result.handoff

    async def requested_slot(self) -> Optional[str]:
        if not self.conversation_id:
            return None
        try:
            tracker = await self.services.rasa.tracker(self.conversation_id)
        except RasaUnavailable:
            return None
        return (tracker.get("slots") or {}).get("requested_slot")

    async def hang_up(self) -> None:
        """The call is over: stop listening, and a caller still waiting in a queue has abandoned."""
        for task in self._tasks:
            task.cancel()
        if self._subscription is not None:
            self._subscription.close()
        if self.conversation_id is not None:
            outcome = await customer_hung_up(self.services, self.conversation_id)
            if outcome:
                logger.info("caller of %s hung up: %s", self.conversation_id, outcome)


class WebsocketOutput:
    """Session output as websocket frames."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def event(self, frame: Dict[str, Any]) -> None:
        await send_json(self.ws, frame)

    async def audio(self, pcm: bytes) -> None:
        await self.ws.send(pcm)


async def _read_caller(ws: Any, session: VoiceSession) -> None:
    """Caller frames into the session; bad frames get an error frame and the call goes on."""
    try:
        while True:
            raw = await ws.recv()
            if raw is None:
                break
            try:
                session.inbound.put_nowait(_inbound(raw))
            except ApiError as error:
                await send_json(ws, error_frame(error))
    finally:
        session.inbound.put_nowait(Inbound("hangup"))


def _inbound(raw: Any) -> Inbound:
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_FRAME_BYTES:
            raise ApiError(413, "frame_too_large", f"Audio frames must be at most {MAX_FRAME_BYTES} bytes (1 s).")
        if bytes(raw[:4]) in CONTAINER_MAGIC:
            raise ApiError(400, "invalid_audio", "Send raw 16 kHz mono s16le PCM, not a WAV, Ogg or MP3 file.")
        try:
            return Inbound("audio", audio=audio.validate_pcm(bytes(raw)))
        except audio.AudioFormatError as exc:
            raise ApiError(400, "invalid_audio", str(exc)) from exc
    frame = parse_json(raw, "The frame")
    kind = frame.get("type") if isinstance(frame, dict) else None
    if kind == "dtmf":
        digit = frame.get("digit")
        if not isinstance(digit, str) or digit not in DIGITS:
            raise ApiError(400, "invalid_field", "'digit' must be one of 0-9, * or #.")
        return Inbound("dtmf", digit=digit)
    if kind == "hangup":
        return Inbound("hangup")
    raise ApiError(400, "invalid_frame", "Send audio as binary frames, or {\"type\": \"dtmf\"|\"hangup\"}.")


@bp.websocket("/voice/ws")
async def voice_socket(request: Request, ws: Any) -> None:
    """Serve one call."""
    services = services_of(request)
    settings = services.settings
    try:
        start = _start_frame(await asyncio.wait_for(ws.recv(), timeout=START_TIMEOUT))
    except asyncio.TimeoutError:
        start = None
        await send_error(ws, ApiError(408, "no_start", "Send the 'start' frame first."))
    except ApiError as error:
        start = None
        await send_error(ws, error)
    if start is None:
        await ws.close(code=4400, reason="bad start")
        return
    caller = normalise_caller(start.get("caller_id", "anonymous")) or "anonymous"
    call_id = uuid.uuid4().hex[:12]
    if caller in load_blocklist(extra=settings.voice_blocklist.split(",")):
        logger.warning("blocked caller %s refused (call %s)", caller, call_id)
        await send_json(ws, {"type": "event", "name": "ended", "reason": "blocked"})
        await ws.close(code=1000, reason="blocked")
        return
    voice_settings = VoiceSettings(
        no_input_seconds=settings.voice_no_input_s, pacing=settings.voice_pacing, silence_ms=settings.voice_silence_ms,
        hold_ms=settings.voice_hold_ms, record=settings.voice_record, on_no_input_exhausted=settings.voice_on_no_input,
    )
    session = VoiceSession(caller, start.get("language"), WebsocketOutput(ws), None, services.synthesizer, voice_settings,
                           recognizer_factory=lambda lang: open_recognizer(
                               lang, silence_ms=settings.voice_silence_ms, hold_ms=settings.voice_hold_ms,
                               executor=services.executors.speech))
    conversation = GatewayConversation(services, f"{caller}#{call_id}", session)
    session.conversation = conversation
    await send_json(ws, {"type": "event", "name": "call_started", "call_id": call_id})
    logger.info("call %s from %s started", call_id, caller)
    reader = asyncio.create_task(_read_caller(ws, session))
    try:
        reason = await session.run()
        logger.info("call %s ended: %s", call_id, reason)
    finally:
        reader.cancel()
        # Sanic cancels this handler when the caller's connection goes; ending the call in the
        # queue and saving the recording must still finish, so they run as their own task.
        saving = asyncio.create_task(_end_call(services, session, conversation, call_id))
        _BACKGROUND.add(saving)
        saving.add_done_callback(_BACKGROUND.discard)
        try:
            await asyncio.shield(saving)
        except Exception:  # noqa: BLE001 - a failed save is logged; the call is over either way
            logger.exception("could not save the recording of call %s", call_id)
        try:
            await ws.close()
        except Exception:  # noqa: BLE001 - the client may already be gone
            pass


async def _end_call(services: Services, session: VoiceSession, conversation: GatewayConversation,
                    call_id: str) -> None:
    """The call is over: a queued caller has abandoned; with consent, the recording is kept."""
    try:
        await conversation.hang_up()
    finally:
        await _keep_recording(services, session, conversation, call_id)


async def _keep_recording(services: Services, session: VoiceSession, conversation: GatewayConversation,
                          call_id: str) -> None:
    """With consent, save the call's audio and link it to the conversation."""
    if not session.recording or not (session.caller_audio or session.bot_audio):
        return
    folder = Path(services.settings.data_dir) / "recordings" / (conversation.conversation_id or call_id)
    loop = asyncio.get_running_loop()
    paths = await loop.run_in_executor(services.executors.blocking, save_recording, folder,
                                       bytes(session.caller_audio), bytes(session.bot_audio))
    if conversation.conversation_id:
        async with services.transaction() as db:
            target = await get_or_open(db, CHANNEL, conversation.sender)
            await add_message(db, target, "system", "call recording saved", {"recording": paths})
