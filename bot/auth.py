"""Desk authentication: Argon2 password hashes, opaque bearer tokens, roles."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from concurrent.futures import Executor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic.request import Request
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, AgentSession
from bot.errors import ApiError
from pii import redact_text

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

ROLES = ("agent", "supervisor", "admin")
SESSION_HOURS = 12
_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Constant-time check of a password against its hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """The stored form of a bearer token (SHA-256): a database leak reveals no tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


async def login(services: "Services", username: str, password: str, address: str) -> Tuple[str, Agent]:
    """A new bearer token for good credentials; 401 for bad ones, 429 while throttled.

    The throttle is checked before the password, so a locked account reveals nothing.
    Hash work runs on the blocking executor; a login for an unknown user is as slow as a
    wrong password.
    """
    throttle = services.login_throttle
    throttle.check(username, address)
    loop = asyncio.get_running_loop()
    async with services.transaction() as session:
        agent = (await session.execute(select(Agent).where(Agent.username == username))).scalars().first()
        stored = agent.password_hash if agent else _DUMMY_HASH
        matches = await loop.run_in_executor(services.executors.blocking, password_matches, stored, password)
        if not matches or agent is None:
            failures = throttle.failed(username, address)
            logger.warning("desk login failed for %r from %s (%d in a row)", redact_text(username)[:64], address,
                           failures)
            raise ApiError(401, "invalid_credentials", "Wrong username or password.")
        throttle.succeeded(username)
        token = secrets.token_urlsafe(32)
        session.add(AgentSession(token_hash=token_hash(token), agent_id=agent.id,
                                 expires_at=datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)))
    logger.info("desk login: %s from %s", agent.username, address)
    return token, agent


def session_topic(token: str) -> str:
    """The event topic that tells a desk websocket its login ended."""
    return f"session:{token_hash(token)}"


async def logout(services: "Services", token: str) -> None:
    """Forget the token and close every desk websocket opened with it, now."""
    async with services.transaction() as session:
        await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash(token)))
    services.hub.publish(session_topic(token), {"type": "session_ended", "reason": "logged_out"})


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or 401."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Log in first: send 'Authorization: Bearer <token>'.")
    return token.strip()


async def agent_for_token(session: AsyncSession, token: str) -> Optional[Agent]:
    """The agent whose unexpired session this token is, or None."""
    row = await session.get(AgentSession, token_hash(token))
    if row is None or row.expires_at < datetime.now(timezone.utc):
        return None
    return await session.get(Agent, row.agent_id)


async def current_agent(request: Request, session: AsyncSession, roles: tuple = ROLES) -> Agent:
    """The logged-in agent (401 if none), who must have one of ``roles`` (403 otherwise)."""
    agent = await agent_for_token(session, bearer_token(request))
    if agent is None:
        raise ApiError(401, "unauthorized", "Your session has expired or is not valid; log in again.")
    if agent.role not in roles:
        raise ApiError(403, "forbidden", f"This needs the role {' or '.join(roles)}.")
    return agent


async def authenticated(services: "Services", request: Request, roles: tuple = ROLES) -> Agent:
    """The logged-in agent of ``request`` (401, or 403 without one of ``roles``)."""
    bearer_token(request)  # 401 before any database work
    async with services.sessions() as session:
        return await current_agent(request, session, roles)


def agent_json(agent: Agent) -> Dict[str, Any]:
    """An agent as the API shows it (never the password hash)."""
    return {
        "id": agent.id, "username": agent.username, "display_name": agent.display_name, "role": agent.role,
        "skills": agent.skills, "languages": agent.languages, "senior": agent.senior, "site": agent.site,
        "presence": agent.presence, "capacity": agent.capacity,
    }


def load_demo_agents(path: Path) -> List[Dict[str, Any]]:
    """The demo agents from content/agents.yml."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["agents"]


async def seed_demo_agents(session: AsyncSession, agents: List[Dict[str, Any]], executor: Optional[Executor] = None
                           ) -> int:
    """Add the demo agents when the desk has none; returns how many were added."""
    if (await session.execute(select(func.count(Agent.id)))).scalar_one():
        return 0
    loop = asyncio.get_running_loop()
    hashes = await loop.run_in_executor(executor, lambda: [hash_password(spec["password"]) for spec in agents])
    for spec, password_hash in zip(agents, hashes):
        if spec["role"] not in ROLES:
            raise ValueError(f"agents: {spec['username']}: unknown role {spec['role']!r}")
        session.add(
            Agent(
                username=spec["username"], display_name=spec["display_name"],
                password_hash=password_hash, role=spec["role"], skills=spec["skills"],
                languages=spec["languages"], senior=bool(spec.get("senior")), site=spec["site"],
                presence="offline", capacity=int(spec.get("capacity", 2)),
            )
        )
    return len(agents)
