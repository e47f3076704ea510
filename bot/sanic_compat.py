"""A fix for Sanic 21.12's websocket ``recv`` on Python 3.11.

Rasa 3.6 pins Sanic 21.12, whose ``WebsocketImplProtocol.recv`` passes a bare coroutine to
``asyncio.wait``; Python 3.11 refuses that ("Passing coroutines is forbidden"). Sanic 22.9
fixed it by wrapping the coroutine in a task, which is all this patch does. It is applied by
the app factory, never at import, and only where the installed Sanic still has the bug.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from sanic.exceptions import ServerError, WebsocketClosed
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.connection import CLOSED

_PATCHED = "_switchboard_recv_patched"


async def _recv(self: WebsocketImplProtocol, timeout: Optional[float] = None):
    """Sanic 22.9's ``recv``: the assembler's ``get`` runs as a task."""
    if self.recv_lock.locked():
        raise ServerError("cannot call recv while another task is already waiting for the next message")
    await self.recv_lock.acquire()
    if self.connection.state is CLOSED:
        self.recv_lock.release()
        raise WebsocketClosed("Cannot receive from websocket interface after it is closed.")
    getter = None
    try:
        self.recv_cancel = asyncio.Future()
        getter = asyncio.ensure_future(self.assembler.get(timeout))
        done, _pending = await asyncio.wait((self.recv_cancel, getter), return_when=asyncio.FIRST_COMPLETED)
        done_task = next(iter(done))
        if done_task is self.recv_cancel:
            getter.cancel()
            raise asyncio.CancelledError()
        self.recv_cancel.cancel()
        return done_task.result()
    except asyncio.CancelledError:
        if getter is not None:
            getter.cancel()
        raise
    finally:
        self.recv_cancel = None
        self.recv_lock.release()


def patch_websocket_recv() -> None:
    """Install the fixed ``recv`` once per process."""
    if not getattr(WebsocketImplProtocol, _PATCHED, False):
        WebsocketImplProtocol.recv = _recv  # type: ignore[method-assign]
        setattr(WebsocketImplProtocol, _PATCHED, True)
