"""One phone call: the call flow on top of speech recognition, speech synthesis and the
gateway's conversation model.

The session does not know about websockets: it reads :class:`Inbound` items (caller audio,
DTMF keys, hang-up, conversation events) and writes through a :class:`CallOutput` (JSON
events and PCM audio). ``bot/api/voice_ws.py`` adapts it to ``/voice/ws``; a telephony
front end (Asterisk AudioSocket, a SIP bridge) would adapt it the same way.

Flow: greeting with the recording disclosure (``*`` or "no recording" withdraws consent),
the language menu unless the language is known, the main menu (keys or words, which set
the routing hints), then the assistant. Reprompts on no input and on no match, then a
transfer (or a polite end); barge-in stops playback when the caller speaks (Silero VAD:
speech, not noise or a cough, ``voice.vad``) or presses a key; after a handoff the caller
hears the queue position, hold prompts, and the agent's typed replies spoken.

Card numbers (PCI data) are never kept: the caller audio of an utterance that holds one is
muted (``voice.card_guard``) before the recording is saved, the caller's client gets
``transcript``/``partial`` texts with cards masked, and prompts are redacted before they
are synthesised, so the bot's audio never speaks one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol

import pii
from voice import audio, card_guard, menu, speech_text
from voice.digit_collector import DigitCollector
from voice.prompts import prompt
from voice.screening import DtmfFloodDetector
from voice.stt import FREE_SPEECH_HOLD_MS, AsyncRecognizer, GrammarError, NoSpeechModel, open_recognizer
from voice.tts import Synthesizer
from voice.vad import VoiceActivity

logger = logging.getLogger(__name__)



class CallState(StrEnum):
    """Where the call is in its flow."""

    LANGUAGE = "language"  # choosing the language
    MENU = "menu"  # the IVR main menu
    BOT = "bot"  # talking with the assistant
    QUEUED = "queued"  # waiting for a person
    WITH_AGENT = "with_agent"
    ENDED = "ended"

PLAYBACK_CHUNK_MS = 200


@dataclass
class VoiceSettings:
    """Call-flow timings and policies (``SWITCHBOARD_VOICE_*`` in the gateway's settings)."""

    no_input_seconds: float = 6.0
    max_no_input: int = 2
    max_no_match: int = 2
    on_no_input_exhausted: str = "transfer"  # or "hangup"
    hold_interval_seconds: float = 30.0
    silence_ms: int = 1200
    hold_ms: int = FREE_SPEECH_HOLD_MS  # quiet that ends a free-speech turn
    pacing: float = 1.0  # 1.0 streams the bot's audio in real time
    record: bool = True


@dataclass
class Inbound:
    """One thing that happened on the call: ``kind`` is audio, dtmf, hangup or event."""

    kind: str
    audio: bytes = b""
    digit: str = ""
    event: Dict[str, Any] = field(default_factory=dict)


class CallOutput(Protocol):
    """Where the session's output goes."""

    async def event(self, frame: Dict[str, Any]) -> None:
        """A JSON frame for the caller's client."""

    async def audio(self, pcm: bytes) -> None:
        """Bot audio: 16 kHz mono s16le."""


class Conversation(Protocol):
    """The gateway side: turns go in, conversation events come back as Inbound items."""

    async def follow(self) -> str:
        """Open (or find) the call's conversation and start receiving its events; its id."""

    async def turn(self, text: str, metadata: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Send a caller turn; the handoff status if the conversation is with people."""

    async def requested_slot(self) -> Optional[str]:
        """The slot the assistant is asking for, if any (for phrase hints)."""


RecognizerFactory = Callable[[str], Awaitable[AsyncRecognizer]]


async def default_recognizer(language: str, silence_ms: int, hold_ms: int = FREE_SPEECH_HOLD_MS) -> AsyncRecognizer:
    """Vosk for the language, PocketSphinx for English, else NoSpeechModel."""
    return await open_recognizer(language, silence_ms=silence_ms, hold_ms=hold_ms)


class VoiceSession:
    """The call flow for one caller."""

    def __init__(
        self,
        caller_id: str,
        language: Optional[str],
        output: CallOutput,
        conversation: Conversation,
        synthesizer: Synthesizer,
        settings: VoiceSettings,
        recognizer_factory: Optional[RecognizerFactory] = None,
    ) -> None:
        self.caller_id = caller_id
        self.language = language or "en"
        self.language_known = language is not None
        self.out = output
        self.conversation = conversation
        self.tts = synthesizer
        self.settings = settings
        self._recognizer_factory = recognizer_factory or (
            lambda lang: default_recognizer(lang, settings.silence_ms, settings.hold_ms))
        self.recognizer: Optional[AsyncRecognizer] = None
        self.state = CallState.MENU if self.language_known else CallState.LANGUAGE
        self.inbound: "asyncio.Queue[Inbound]" = asyncio.Queue()
        self.ivr_path: List[str] = []
        self.ivr_choice: Optional[str] = None
        self.recording = settings.record
        self.caller_audio = bytearray()
        self.bot_audio = bytearray()
        self.cards = card_guard.CardGuard()
        self._utterance_start = 0  # where in caller_audio the next utterance's audio begins
        self.heard_anything = False
        self.no_input = 0
        self.no_match = 0
        self.last_prompt = ""
        self.last_buttons: List[Dict[str, Any]] = []
        self.end_reason: Optional[str] = None
        self._playback: "asyncio.Queue[str]" = asyncio.Queue()
        self._speaking = False
        self._barge = asyncio.Event()
        self._prompt_done_at = time.monotonic()
        self._last_hold = time.monotonic()
        self._detector: Optional[VoiceActivity] = None  # loaded by run (the model's first load blocks)
        self._flood = DtmfFloodDetector()
        self.conversation_id: Optional[str] = None
        self.digits = DigitCollector()  # the number being read for a number prompt

    # ------------------------------------------------------------------ output

    async def say(self, text: str) -> None:
        """Queue ``text`` to be spoken after what is already queued (card numbers masked)."""
        text = pii.redact_text(text.strip())
        if text:
            self.last_prompt = text
            await self._playback.put(text)

    async def _play(self) -> None:
        """Speak queued texts one by one, in real time, until barge-in clears the queue."""
        while True:
            text = await self._playback.get()
            self._speaking = True
            self._barge.clear()
            shown = False
            try:
                pcm = await self.tts.render_async(self.language, text)
                await self.out.event({"type": "bot", "text": text})
                shown = True
                await self.out.event({"type": "audio", "bytes": len(pcm), "sample_rate": audio.SAMPLE_RATE})
                step = audio.frame_bytes(PLAYBACK_CHUNK_MS)
                for start in range(0, len(pcm), step):
                    if self._barge.is_set():
                        break
                    chunk = pcm[start : start + step]
                    await self.out.audio(chunk)
                    if self.recording:
                        self.bot_audio += chunk
                    await asyncio.sleep(PLAYBACK_CHUNK_MS / 1000 * self.settings.pacing)
            except Exception:  # noqa: BLE001 - a prompt that fails to render must not end the call
                logger.exception("could not speak a prompt on call from %s", self.caller_id)
                if not shown:  # the caller's screen (a browser phone, the transcript) still shows it
                    await self.out.event({"type": "bot", "text": text, "spoken": False})
            finally:
                if self._playback.empty():
                    self._speaking = False
                    self._prompt_done_at = time.monotonic()

    async def barge_in(self, how: str) -> None:
        """The caller interrupts: stop playback and drop what was still to be said."""
        if not self._speaking:
            return
        self._barge.set()
        while not self._playback.empty():
            self._playback.get_nowait()
        self._speaking = False
        self._prompt_done_at = time.monotonic()
        await self.out.event({"type": "event", "name": "barge_in", "by": how})

    # ------------------------------------------------------------------ the call

    async def run(self) -> str:
        """Run the call until it ends; returns why it ended."""
        player = asyncio.create_task(self._play())
        try:
            self._detector = await asyncio.get_running_loop().run_in_executor(None, VoiceActivity)
            await self._open_recognizer()
            await self.say(prompt("greeting", self.language))
            await self.say(prompt("main_menu", self.language) if self.language_known
                           else prompt("language_menu", self.language))
            while self.state != CallState.ENDED:
                item = await self._next(timeout=self._wait_budget())
                if item is None:
                    await self._on_timer()
                    continue
                if item.kind == "audio":
                    await self._on_audio(item.audio)
                elif item.kind == "dtmf":
                    await self._on_dtmf(item.digit)
                elif item.kind == "event":
                    await self._on_conversation_event(item.event)
                elif item.kind == "hangup":
                    self.end_reason = self.end_reason or "caller_hung_up"
                    self.state = CallState.ENDED
                # A phone sends audio (silence too) all the time: timers are due between frames.
                if self.state != CallState.ENDED:
                    await self._on_timer()
            return self.end_reason or "ended"
        finally:
            player.cancel()
            await asyncio.gather(player, return_exceptions=True)
            await self._check_last_words()

    async def _next(self, timeout: Optional[float]) -> Optional[Inbound]:
        try:
            return await asyncio.wait_for(self.inbound.get(), timeout=timeout)
        except asyncio.TimeoutError:
            return None

    def _wait_budget(self) -> float:
        """How long to wait for input before the timers need a look."""
        if self.digits.pending:
            return max(0.05, self.digits.due - time.monotonic())
        if self._speaking or not self._playback.empty():
            return 0.25
        if self.state in (CallState.QUEUED, CallState.WITH_AGENT):
            return 1.0
        return max(0.05, self._prompt_done_at + self.settings.no_input_seconds - time.monotonic())

    async def _open_recognizer(self) -> None:
        try:
            self.recognizer = await self._recognizer_factory(self.language)
            if self.state == CallState.LANGUAGE:
                await self._hint(menu.language_words())
            await self.out.event({"type": "event", "name": "stt", "engine": self.recognizer.engine, "language": self.language})
        except NoSpeechModel as missing:
            self.recognizer = None
            logger.warning("no speech recognition for %s on call from %s: %s", self.language, self.caller_id, missing)
            await self.out.event({"type": "event", "name": "stt", "engine": "none", "language": self.language})
            await self.say(prompt("no_speech_model", self.language))

    async def end(self, reason: str, goodbye: bool = True) -> None:
        """End the call, politely unless it is spam."""
        logger.info("call from %s ended: %s", self.caller_id, reason)
        self.end_reason = reason
        if goodbye:
            await self.say(prompt("goodbye", self.language))
            await self._drain_playback()
        await self.out.event({"type": "event", "name": "ended", "reason": reason})
        self.state = CallState.ENDED

    async def _drain_playback(self) -> None:
        while self._speaking or not self._playback.empty():
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ timers

    async def _on_timer(self) -> None:
        number = self.digits.take_if_due(time.monotonic())
        if number is not None:
            self._mute(self.cards.number_done(number))
            await self._bot_turn(number, None)
            return
        if self._speaking or not self._playback.empty() or self.digits.pending:
            return
        if self.state in (CallState.QUEUED, CallState.WITH_AGENT):
            if self.state == CallState.QUEUED and time.monotonic() - self._last_hold >= self.settings.hold_interval_seconds:
                self._last_hold = time.monotonic()
                await self.say(prompt("hold", self.language))
            return
        if time.monotonic() - self._prompt_done_at < self.settings.no_input_seconds:
            return
        if not self.heard_anything:
            logger.warning("silent call from %s: no speech and no key through the greeting", self.caller_id)
            await self.end("silent_call", goodbye=False)
            return
        self.no_input += 1
        await self.out.event({"type": "event", "name": "no_input", "count": self.no_input})
        if self.no_input >= self.settings.max_no_input:
            await self._exhausted("no_input")
            return
        await self.say(prompt("no_input", self.language) + " " + self.last_prompt)

    async def _exhausted(self, why: str) -> None:
        if why == "no_input" and self.settings.on_no_input_exhausted == "hangup":
            await self.end("no_input")
            return
        await self.say(prompt("transfer", self.language))
        await self._bot_turn("/request_human", f"{why}:transfer")

    # ------------------------------------------------------------------ caller input

    async def _on_audio(self, pcm: bytes) -> None:
        chunk_start = len(self.caller_audio)
        if self.recording:
            self.caller_audio += pcm
        if self._detector is not None and self._detector.update(pcm):  # speech, not noise
            self.heard_anything = True
            self._prompt_done_at = max(self._prompt_done_at, time.monotonic())  # speaking is not "no input"
            self._hold_digits()
            await self.barge_in("speech")
        if self.recognizer is None:
            return
        result = await self.recognizer.accept(pcm)
        if result is None:
            return
        if not result.final:
            if result.text:
                self._hold_digits()
            await self.out.event({"type": "partial", "text": self.cards.shown(result.text)})
            return
        if self._detector is not None:
            self._detector.reset()
        await self.out.event({"type": "transcript", "text": self.cards.shown(result.text)})
        if result.text.strip():
            self._mute(self.cards.heard(result.text.strip(), self._utterance_start, len(self.caller_audio)))
            # The endpoint fell somewhere in this chunk, so the next utterance may start in it
            # (an empty result ends no utterance: its audio joins the next one's range).
            self._utterance_start = chunk_start
            self.heard_anything = True
            self.no_input = 0
            await self._on_utterance(result.text.strip())
        elif self.heard_anything:
            await self._on_no_match()

    def _hold_digits(self) -> None:
        """The caller is still speaking: a number being collected is not finished yet."""
        self.digits.hold(time.monotonic())

    async def _on_no_match(self) -> None:
        self.no_match += 1
        await self.out.event({"type": "event", "name": "no_match", "count": self.no_match})
        if self.no_match >= self.settings.max_no_match:
            self.no_match = 0
            await self._exhausted("no_match")
            return
        reprompt = prompt("main_menu", self.language) if self.state == CallState.MENU else self.last_prompt
        await self.say(prompt("no_match", self.language) + " " + reprompt)

    async def _on_dtmf(self, digit: str) -> None:
        self.heard_anything = True
        if self._flood.press():
            logger.warning("DTMF flood from %s", self.caller_id)
            await self.end("dtmf_flood", goodbye=False)
            return
        await self.barge_in("dtmf")
        self.no_input = 0
        if digit == "*" and self.state in (CallState.LANGUAGE, CallState.MENU) and self.recording:
            await self._stop_recording()
        elif self.state == CallState.LANGUAGE:
            await self._choose_language(digit)
        elif self.state == CallState.MENU:
            await self._choose_menu(digit)
        elif self.state == CallState.BOT and self.last_buttons:
            choice = speech_text.choice_for(digit, self.last_buttons)
            await (self._bot_turn(choice, f"key:{digit}") if choice else self._on_no_match())
        elif self.state == CallState.BOT and digit == "0":
            await self._bot_turn("/request_human", "key:0")
        elif self.state == CallState.BOT:
            await self._bot_turn(digit, f"key:{digit}")

    async def _on_utterance(self, text: str) -> None:
        self.no_match = 0
        if self.state == CallState.LANGUAGE:
            await self._choose_language(text)
        elif self.state == CallState.MENU:
            if "no recording" in text.lower() and self.recording:
                await self._stop_recording()
                return
            choice = menu.menu_choice(text, self.language)
            if choice is not None:
                await self._choose_menu(choice.key, spoken=True)
            else:  # free speech at the menu goes straight to the assistant
                self.state = CallState.BOT
                self.ivr_path.append("menu:speech")
                await self._bot_turn(text, None)
        elif self.state == CallState.BOT and self.last_buttons:
            choice = speech_text.choice_for(text, self.last_buttons)
            await self._bot_turn(choice or speech_text.spoken_digits(text), None)
        elif self.state == CallState.BOT and self.digits.expecting and speech_text.spoken_digits(text).isdigit():
            self.digits.add(speech_text.spoken_digits(text), time.monotonic())  # more groups may follow
            self.cards.digit_group()
        else:
            await self._bot_turn(speech_text.spoken_digits(text), None)

    def _mute(self, ranges: List[card_guard.Range]) -> None:
        """Silence caller audio that held a card number (the log says how much, never what)."""
        if ranges and self.recording:
            muted = card_guard.mute(self.caller_audio, ranges)
            seconds = muted / (audio.SAMPLE_RATE * audio.SAMPLE_WIDTH)
            logger.info("muted %.1f s of caller audio holding a card number", seconds)

    async def _check_last_words(self) -> None:
        """The call is over: what the recogniser still held (a caller may hang up mid-number)
        and a number still being collected are checked for a card too."""
        if self.recognizer is not None and self.recording:
            try:
                text = (await self.recognizer.finish()).text.strip()
            except Exception:  # noqa: BLE001 - the call is over; the check is best effort
                logger.exception("could not flush the recogniser of the call from %s", self.caller_id)
                text = ""
            if text:
                self._mute(self.cards.heard(text, self._utterance_start, len(self.caller_audio)))
                if self.digits.pending and speech_text.spoken_digits(text).isdigit():
                    self.digits.add(speech_text.spoken_digits(text), time.monotonic())
                    self.cards.digit_group()
        if self.digits.pending:
            self._mute(self.cards.number_done(self.digits.take()))

    async def _stop_recording(self) -> None:
        self.recording = False
        self.caller_audio.clear()
        self.bot_audio.clear()
        await self.out.event({"type": "event", "name": "recording", "consent": False})
        await self.say(prompt("recording_off", self.language))
        await self.say(prompt("main_menu" if self.state == CallState.MENU else "language_menu", self.language))

    async def _choose_language(self, key_or_words: str) -> None:
        language = menu.language_choice(key_or_words)
        if language is None:
            await self._on_no_match()
            return
        self.language = language
        self.ivr_path.append(f"language:{language}")
        self.state = CallState.MENU
        await self.out.event({"type": "event", "name": "language", "language": language})
        await self._open_recognizer()
        await self.say(prompt("main_menu", self.language))

    async def _choose_menu(self, key_or_words: str, spoken: bool = False) -> None:
        choice = menu.menu_choice(key_or_words, self.language)
        if choice is None:
            await self._on_no_match()
            return
        self.ivr_choice = choice.key
        self.ivr_path.append(f"menu:{choice.key}")
        self.state = CallState.BOT
        await self.out.event({"type": "event", "name": "menu", "key": choice.key, "intent": choice.intent,
                              "by": "speech" if spoken else "dtmf"})
        await self._bot_turn(f"/{choice.intent}", None)

    # ------------------------------------------------------------------ the assistant and the people

    async def _bot_turn(self, text: str, path_step: Optional[str]) -> None:
        if path_step:
            self.ivr_path.append(path_step)
        if self.conversation_id is None:
            self.conversation_id = await self.conversation.follow()
            await self.out.event({"type": "event", "name": "conversation", "conversation_id": self.conversation_id})
        metadata = {"language": self.language, "ivr_path": list(self.ivr_path), "caller_id": self.caller_id}
        if self.ivr_choice is not None:
            metadata["ivr_choice"] = self.ivr_choice
        self.last_buttons = []
        try:
            handoff = await self.conversation.turn(text, metadata)
        except Exception as error:  # noqa: BLE001 - the assistant being down must not drop the call
            logger.error("turn failed on call from %s: %s", self.caller_id, error)
            await self.say(prompt("no_match", self.language))
            return
        finally:
            # Waiting for the assistant is not the caller's silence: the no-input clock starts
            # now (its reply, still queued behind the caller's audio, restarts it when spoken).
            self._prompt_done_at = max(self._prompt_done_at, time.monotonic())
        if handoff is not None and self.state not in (CallState.QUEUED, CallState.WITH_AGENT):
            self.state = CallState.WITH_AGENT if handoff.get("status") == "assigned" else CallState.QUEUED
            self._last_hold = time.monotonic()
            await self.out.event({"type": "event", "name": "queued", **handoff})
            if handoff.get("position"):
                await self.say(prompt("queued", self.language, position=handoff["position"]))
        await self._set_grammar()

    async def _set_grammar(self) -> None:
        """Digit hints while the assistant asks for a number, free speech otherwise."""
        if self.recognizer is None or self.state != CallState.BOT:
            return
        self.digits.expect(await self.conversation.requested_slot(), self.language)
        await self._hint(speech_text.digits_grammar() if self.digits.expecting else None)

    async def _hint(self, phrases: Optional[List[str]]) -> None:
        """Phrase hints for the next answer; free speech when the engine knows none of them."""
        if self.recognizer is None:
            return
        try:
            await self.recognizer.set_grammar(phrases)
        except GrammarError as unusable:
            logger.info("no phrase hints on call from %s: %s", self.caller_id, unusable)
            await self.recognizer.set_grammar(None)

    async def _on_conversation_event(self, event: Dict[str, Any]) -> None:
        """Bot and agent messages of the conversation are spoken; handoff changes move the state."""
        kind = event.get("type")
        if kind == "message" and event.get("role") in ("bot", "agent") and event.get("text") is not None:
            self.last_buttons = event.get("buttons") or []
            if self.last_buttons and self.recognizer is not None and self.state == CallState.BOT:
                # A menu or a yes/no question: hint the button words and their numbers.
                await self._hint(speech_text.button_grammar(self.last_buttons))
            await self.say(speech_text.speakable(event, self.language))
        elif kind == "handoff":
            status = event.get("status")
            await self.out.event({"type": "event", "name": f"handoff_{status}", **event})
            if status == "assigned":
                self.state = CallState.WITH_AGENT
            elif status in ("closed", "handed_back", "abandoned"):
                self.state = CallState.BOT
        elif kind == "queue" and self.state == CallState.QUEUED:
            await self.out.event({"type": "event", "name": "queue", **event})
