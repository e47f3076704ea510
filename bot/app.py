"""The gateway's Sanic application factory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

from sanic import Sanic

from bot.api import chat, chat_ws, desk, desk_handoffs, desk_ws, health, openapi, pages, supervisor, voice_ws
from bot.db.engine import create_engine, session_factory, upgrade_schema
from bot.auth import load_demo_agents, seed_demo_agents
from bot.errors import register_error_handlers
from bot.events import EventHub
from bot.rasa_client import RasaClient
from bot.routing.config import RoutingConfig, load_routing
from bot.sanic_compat import patch_websocket_recv
from bot.settings import Settings
from voice.recordings import purge_old_recordings

DEMO_AGENTS_FILE = Path(__file__).resolve().parent.parent / "content" / "agents.yml"


def create_app(
    settings: Optional[Settings] = None, routing: Optional[RoutingConfig] = None, name: str = "switchboard"
) -> Sanic:
    """Build the gateway app; resources open when the server starts, not at import."""
    settings = settings or Settings.from_env()
    patch_websocket_recv()
    routing = routing or load_routing(settings.routing_file)
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.MOTD = False
    app.config.WEBSOCKET_MAX_SIZE = settings.max_body_bytes
    app.ctx.settings = settings
    app.ctx.routing = routing
    app.ctx.events = EventHub()

    register_error_handlers(app)
    app.blueprint(health.bp)
    app.blueprint(chat.bp)
    app.blueprint(desk.bp)
    app.blueprint(desk_handoffs.bp)
    app.blueprint(supervisor.bp)
    app.blueprint(chat_ws.bp)
    app.blueprint(desk_ws.bp)
    app.blueprint(pages.bp)
    app.blueprint(voice_ws.bp)
    app.blueprint(openapi.bp)

    @app.before_server_start
    async def open_resources(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await asyncio.get_running_loop().run_in_executor(None, upgrade_schema, settings.database_url)
        app.ctx.engine = create_engine(settings.database_url)
        app.ctx.sessions = session_factory(app.ctx.engine)
        app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
        app.ctx.synthesizer = None
        await asyncio.get_running_loop().run_in_executor(
            None, purge_old_recordings, Path(settings.data_dir) / "recordings", settings.voice_retention_days
        )
        if settings.demo_agents:
            async with app.ctx.sessions() as session, session.begin():
                await seed_demo_agents(session, load_demo_agents(DEMO_AGENTS_FILE))

    @app.after_server_stop
    async def close_resources(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await app.ctx.rasa.close()
        await app.ctx.engine.dispose()

    return app
