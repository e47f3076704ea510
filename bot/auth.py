"""Desk authentication: Argon2 password hashes, opaque bearer tokens, roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic.request import Request
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, AgentSession
from bot.errors import ApiError

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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def login(session: AsyncSession, username: str, password: str) -> Optional[tuple]:
    """(token, agent) for good credentials, else None. Blocking hash work runs in a thread."""
    import asyncio

    agent = (await session.execute(select(Agent).where(Agent.username == username))).scalars().first()
    loop = asyncio.get_running_loop()
    stored = agent.password_hash if agent else _DUMMY_HASH
    if not await loop.run_in_executor(None, password_matches, stored, password) or agent is None:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        AgentSession(
            token_hash=_token_hash(token),
            agent_id=agent.id,
            expires_at=datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS),
        )
    )
    return token, agent


async def logout(session: AsyncSession, token: str) -> None:
    """Forget the token."""
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == _token_hash(token)))


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or 401."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Log in first: send 'Authorization: Bearer <token>'.")
    return token.strip()


async def agent_for_token(session: AsyncSession, token: str) -> Optional[Agent]:
    """The agent whose unexpired session this token is, or None."""
    row = await session.get(AgentSession, _token_hash(token))
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


async def seed_demo_agents(session: AsyncSession, agents: List[Dict[str, Any]]) -> int:
    """Add the demo agents when the desk has none; returns how many were added."""
    import asyncio

    if (await session.execute(select(func.count(Agent.id)))).scalar_one():
        return 0
    loop = asyncio.get_running_loop()
    hashes = await loop.run_in_executor(None, lambda: [hash_password(spec["password"]) for spec in agents])
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
