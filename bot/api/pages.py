"""The web pages the gateway serves: the customer chat widget, the agent desk, the supervisor view.

Plain HTML, CSS and JavaScript with no build step; the scripts talk to the same JSON API and
websockets as any other client. A strict Content-Security-Policy allows only this origin's
scripts and connections.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file, redirect

bp = Blueprint("pages")

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CSP = (  # the browser phone needs the microphone and plays audio from the page itself
    # connect-src 'self' covers this origin's own websockets (ws/wss of the same host, CSP Level 3).
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

bp.static("/static", str(WEB_DIR / "static"), name="static")


async def _page(name: str) -> HTTPResponse:
    return await file(WEB_DIR / name, mime_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    """The chat widget's demo page."""
    return redirect("/chat")


@bp.get("/chat")
async def chat_page(request: Request) -> HTTPResponse:
    """A page with the customer chat widget."""
    return await _page("chat.html")


@bp.get("/desk")
async def desk_page(request: Request) -> HTTPResponse:
    """The agent desk (and, for supervisors, the supervisor view)."""
    return await _page("desk.html")


@bp.get("/voice")
async def voice_page(request: Request) -> HTTPResponse:
    """The browser phone: microphone to /voice/ws, the bot's audio played back."""
    return await _page("voice.html")
