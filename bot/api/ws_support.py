"""What the customer and desk websockets share: JSON frames, errors as frames, event pumping."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from bot.api.request_body import parse_json
from bot.errors import ApiError, error_body
from bot.events import Subscription

logger = logging.getLogger(__name__)

IDLE_REFRESH_SECONDS = 5.0


async def send_json(ws: Any, frame: Dict[str, Any]) -> None:
    """Send one JSON text frame."""
    await ws.send(json.dumps(frame, ensure_ascii=False))


def error_frame(error: ApiError) -> Dict[str, Any]:
    """An ApiError as a websocket frame."""
    return {"type": "error", **error_body(error.code, error.message)}


async def send_error(ws: Any, error: ApiError) -> None:
    """Report bad input as an ``error`` frame straight away (before any events flow)."""
    await send_json(ws, error_frame(error))


def parse_frame(raw: Any) -> Dict[str, Any]:
    """A client frame as a JSON object with a string ``type``, or an ApiError."""
    if isinstance(raw, (bytes, bytearray)):
        raise ApiError(400, "invalid_frame", "Send JSON text frames, not binary ones.")
    frame = parse_json(raw, "The frame")
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ApiError(400, "invalid_frame", "Each frame must be a JSON object with a string 'type'.")
    return frame


class CloseSocket(Exception):
    """End the connection with this websocket close code (raised by a screen or an idle check)."""

    def __init__(self, code: int, reason: str, frame: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.frame = frame  # sent just before closing


Screen = Callable[[Dict[str, Any]], Awaitable[Optional[Dict[str, Any]]]]


async def pump_events(
    ws: Any,
    subscription: Subscription,
    on_idle: Optional[Callable[[], Awaitable[Optional[Dict[str, Any]]]]] = None,
    idle_seconds: float = IDLE_REFRESH_SECONDS,
    screen: Optional[Screen] = None,
) -> None:
    """Forward the subscription's events to the client; when idle, send what ``on_idle`` returns.

    ``screen`` sees every event before it is sent and may drop it (None) or end the
    connection (:class:`CloseSocket`): access is checked at each event, not once.
    """
    while True:
        try:
            event = await asyncio.wait_for(subscription.next(), timeout=idle_seconds)
        except asyncio.TimeoutError:
            event = await on_idle() if on_idle else None
        else:
            if screen is not None:
                event = await screen(event)
        if event is not None:
            await send_json(ws, event)


async def serve_frames(ws: Any, handle: Callable[[Dict[str, Any]], Awaitable[None]], subscription: Subscription) -> None:
    """Read client frames until the client goes; each bad frame gets an error frame, never a crash.

    Errors go through the client's own event queue, so they reach it in order with the events
    the frame caused (the echo of a message comes before "the assistant is unavailable").
    """
    while True:
        raw = await ws.recv()
        if raw is None:
            return
        try:
            await handle(parse_frame(raw))
        except ApiError as error:
            subscription.deliver(error_frame(error))
        except CloseSocket:
            raise
        except Exception:  # noqa: BLE001 - one bad frame must not end the connection silently
            logger.exception("a websocket frame could not be handled")
            subscription.deliver(error_frame(ApiError(500, "internal_error", "Something went wrong on our side.")))


async def run_connection(ws: Any, reader: Awaitable[None], writer: Awaitable[None]) -> None:
    """Run reading and writing together; when either ends (client gone, error), stop both."""
    tasks = [asyncio.ensure_future(reader), asyncio.ensure_future(writer)]
    closing: Optional[CloseSocket] = None
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if isinstance(error, CloseSocket):
                closing = error
            elif error is not None:
                logger.info("websocket closed: %r", error)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if closing is not None:
        try:
            if closing.frame is not None:
                await send_json(ws, closing.frame)
            await ws.close(code=closing.code, reason=closing.reason)
        except Exception:  # noqa: BLE001 - the client may already be gone
            logger.info("websocket gone before it could be closed with %s", closing.code)
