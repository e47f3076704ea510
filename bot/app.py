"""The gateway's Sanic application factory."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

from sanic import Sanic
from sqlalchemy.exc import IntegrityError

from bot.api import chat, chat_ws, desk, desk_handoffs, desk_ws, health, openapi, pages, supervisor, voice_ws
from bot.auth import load_demo_agents, seed_demo_agents
from bot.errors import register_error_handlers
from bot.presence import sweep_forever
from bot.routing.config import RoutingConfig, load_routing
from bot.sanic_compat import patch_websocket_recv
from bot.services import RasaApi, Services
from bot.settings import Settings
from voice.recordings import purge_old_recordings

logger = logging.getLogger(__name__)

DEMO_AGENTS_FILE = Path(__file__).resolve().parent.parent / "content" / "agents.yml"


def create_app(
    settings: Optional[Settings] = None,
    routing: Optional[RoutingConfig] = None,
    name: str = "switchboard",
    rasa: Optional[RasaApi] = None,
) -> Sanic:
    """Build the gateway app and its services; resources open when the server starts, not at import.

    ``rasa``: a client to use instead of the real one (tests pass a fake).
    """
    settings = settings or Settings.from_env()
    patch_websocket_recv()
    services = Services(settings, routing or load_routing(settings.routing_file), rasa)
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.MOTD = False
    app.config.WEBSOCKET_MAX_SIZE = settings.max_body_bytes
    app.ctx.services = services

    register_error_handlers(app)
    for module in (health, chat, desk, desk_handoffs, supervisor, chat_ws, desk_ws, pages, voice_ws, openapi):
        app.blueprint(module.bp)

    @app.before_server_start
    async def open_resources(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await services.open()
        await asyncio.get_running_loop().run_in_executor(
            services.executors.blocking, purge_old_recordings, Path(settings.data_dir) / "recordings",
            settings.voice_retention_days,
        )
        if settings.demo_agents:
            try:
                async with services.transaction() as session:
                    await seed_demo_agents(session, load_demo_agents(DEMO_AGENTS_FILE), services.executors.blocking)
            except IntegrityError:
                # Another gateway instance on the same database seeded them at the same moment.
                logger.info("demo agents were seeded by another gateway instance")
        services.spawn(sweep_forever(services))

    @app.after_server_stop
    async def close_resources(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await services.close()

    return app
