"""The supervisor's JSON API: live queues against their SLA, agents' states, escalations, KPIs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select

from bot.access import OVERSEERS
from bot.auth import authenticated
from bot.db.models import Agent, Handoff
from bot.errors import ApiError
from bot.kpis import kpis
from bot.lifecycle import agent_load
from bot.services import services_of
from bot.states import HandoffStatus

QUEUED, ASSIGNED = HandoffStatus.QUEUED, HandoffStatus.ASSIGNED

bp = Blueprint("supervisor", url_prefix="/api/supervisor")

ESCALATION_SCORE = 0.5  # the score at which the bot escalates (actions/handoff.py)
MAX_WINDOW_HOURS = 24 * 90


def is_escalation(handoff: Handoff, escalation_queue: str) -> bool:
    """Flagged by the bot, scored high, or waiting in the escalation queue."""
    escalation = (handoff.context or {}).get("escalation") or {}
    return bool(escalation.get("escalated")) or float(escalation.get("score") or 0) >= ESCALATION_SCORE \
        or handoff.queue == escalation_queue


@bp.get("/overview")
async def overview(request: Request) -> HTTPResponse:
    """Every queue's waiting conversations and SLA breaches, every agent's state, open escalations."""
    services = services_of(request)
    routing = services.routing
    await authenticated(services, request, roles=OVERSEERS)
    now = datetime.now(timezone.utc)
    async with services.sessions() as session:
        open_handoffs = list((await session.execute(
            select(Handoff).where(Handoff.status.in_((QUEUED, ASSIGNED))).order_by(Handoff.priority.desc(), Handoff.id)
        )).scalars())
        agents = list((await session.execute(select(Agent).order_by(Agent.username))).scalars())
        load = await agent_load(session)
    names = {a.id: a.display_name for a in agents}
    queues: List[Dict[str, Any]] = []
    for name, queue in sorted(routing.queues.items()):
        waiting = [h for h in open_handoffs if h.queue == name and h.status == QUEUED]
        waits = [(now - h.created_at).total_seconds() for h in waiting]
        queues.append({
            "queue": name, "sla_seconds": queue.sla_seconds, "waiting": len(waiting),
            "longest_wait_seconds": int(max(waits)) if waits else 0,
            "breaching_sla": sum(1 for h, w in zip(waiting, waits) if w > h.sla_seconds),
            "in_progress": sum(1 for h in open_handoffs if h.queue == name and h.status == ASSIGNED),
        })
    escalations = [
        {"id": h.id, "queue": h.queue, "status": h.status, "agent": names.get(h.agent_id),
         "waited_seconds": int((now - h.created_at).total_seconds()), "sla_seconds": h.sla_seconds,
         "score": ((h.context or {}).get("escalation") or {}).get("score"),
         "reasons": ((h.context or {}).get("escalation") or {}).get("reasons") or [],
         "summary": (h.context or {}).get("summary")}
        for h in open_handoffs if is_escalation(h, routing.escalation.queue)
    ]
    return json({
        "queues": queues,
        "agents": [{"id": a.id, "display_name": a.display_name, "role": a.role, "presence": a.presence,
                    "active_chats": load.get(a.id, 0), "capacity": a.capacity, "skills": a.skills,
                    "languages": a.languages, "site": a.site} for a in agents],
        "escalations": escalations,
    })


@bp.get("/kpis")
async def kpi_report(request: Request) -> HTTPResponse:
    """Containment, wait, SLA, abandonment, handle time and FCR over the last ``hours`` (default 24)."""
    services = services_of(request)
    await authenticated(services, request, roles=OVERSEERS)
    raw = request.args.get("hours", "24")
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_WINDOW_HOURS:
        raise ApiError(400, "invalid_field", f"'hours' must be a whole number from 1 to {MAX_WINDOW_HOURS}.")
    async with services.sessions() as session:
        return json(await kpis(session, int(raw)))
