"""``GET /health``: is the gateway up, and can it reach its database, Rasa and the event hub?"""

from __future__ import annotations

import asyncio

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import text

from bot.errors import RasaUnavailable
from bot.events import HubState
from bot.services import Services, services_of
from voice.models import engine_table

bp = Blueprint("health")


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    """200 with each component's state; ``status`` is ``degraded`` when one is down."""
    services = services_of(request)
    components = {"gateway": "up"}
    try:
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        components["database"] = "up"
    except Exception:  # noqa: BLE001 - any database failure means "down" here
        components["database"] = "down"
    try:
        status = await services.rasa.status()
        components["rasa"] = "up" if status.get("model_id") else "no_model"
    except RasaUnavailable:
        components["rasa"] = "down"
    components["event_hub"] = "up" if services.hub.state is HubState.CONNECTED else "down"
    overall = "ok" if all(v == "up" for v in components.values()) else "degraded"
    return json({"status": overall, "components": components, "event_hub": services.hub.describe(),
                 "voice": await _voice_engines(services)})


async def _voice_engines(services: Services) -> dict:
    """Which speech recogniser serves each language (``none``: keypad only on voice calls)."""
    return await asyncio.get_running_loop().run_in_executor(services.executors.blocking, engine_table)
