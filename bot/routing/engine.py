"""Routing decisions: which queue, what priority and SLA, is anyone open, which agent.

Pure functions over the configuration and a snapshot of agents, so every rule is unit
tested; the gateway supplies the snapshot from its database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from bot.routing.config import RoutingConfig, SiteConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutingRequest:
    """What is known about the conversation when it is handed over."""

    language: str
    queue_hint: Optional[str] = None
    tier: str = "standard"
    ivr_choice: Optional[str] = None
    escalated: bool = False


@dataclass
class RoutingDecision:
    """Where the conversation waits and how urgently."""

    queue: str
    skill: str
    language: str
    priority: int
    sla_seconds: int
    senior_required: bool
    open_sites: List[str]
    reasons: List[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Whether any site that speaks the language is open now."""
        return bool(self.open_sites)


@dataclass(frozen=True)
class AgentView:
    """An agent as routing sees them."""

    id: str
    skills: Tuple[str, ...]
    languages: Tuple[str, ...]
    senior: bool
    site: str
    presence: str
    active_chats: int
    capacity: int

    @property
    def free(self) -> bool:
        """Available and below capacity."""
        return self.presence == "available" and self.active_chats < self.capacity


def site_open(site: SiteConfig, now: datetime) -> bool:
    """Whether the site is open at ``now`` (aware datetime), in its own timezone."""
    local = now.astimezone(ZoneInfo(site.timezone))
    if local.date() in site.holidays:
        return False
    hours = site.opening().get(local.weekday())
    return hours is not None and hours[0] <= local.time() < hours[1]


def route(request: RoutingRequest, config: RoutingConfig, now: Optional[datetime] = None) -> RoutingDecision:
    """Choose the queue (escalation > IVR choice > bot's hint > general), priority and SLA."""
    now = now or datetime.now(timezone.utc)
    reasons: List[str] = []
    if request.escalated:
        queue = config.escalation.queue
        reasons.append("escalated complaint")
    elif request.ivr_choice and request.ivr_choice in config.ivr:
        queue = config.ivr[request.ivr_choice]
        reasons.append(f"IVR choice {request.ivr_choice}")
    elif request.queue_hint in config.queues:
        queue = request.queue_hint
        reasons.append(f"bot hint {request.queue_hint}")
    else:
        queue = "general"
        reasons.append("no hint: general")
    settings = config.queues[queue]
    priority, sla = settings.priority, settings.sla_seconds
    if request.escalated:
        priority += config.escalation.priority_boost
        sla = min(sla, config.escalation.sla_seconds)
    vip = request.tier == "vip"
    if vip:
        priority += config.vip.priority_boost
        sla = min(sla, config.vip.sla_seconds)
        reasons.append("VIP")
    open_sites = [
        name for name, site in config.sites.items() if request.language in site.languages and site_open(site, now)
    ]
    if not open_sites:
        reasons.append(f"no site open for {request.language}")
    return RoutingDecision(
        queue=queue,
        skill=settings.skill,
        language=request.language,
        priority=priority,
        sla_seconds=sla,
        senior_required=vip and config.vip.senior_only,
        open_sites=open_sites,
        reasons=reasons,
    )


def _matching(agents: Sequence[AgentView], skill: str, language: str, senior: bool) -> List[AgentView]:
    candidates = [
        a for a in agents if a.free and skill in a.skills and language in a.languages and (a.senior or not senior)
    ]
    return sorted(candidates, key=lambda a: (a.active_chats / a.capacity, a.id))


def _first_match(agents: Sequence[AgentView], skills: List[str], language: str, senior: bool) -> List[AgentView]:
    """Agents for the first skill (original skill first) that has any."""
    for skill in skills:
        found = _matching(agents, skill, language, senior)
        if found:
            return found
    return []


def choose_agent(
    decision: RoutingDecision,
    config: RoutingConfig,
    agents: Sequence[AgentView],
    waited_seconds: float = 0.0,
) -> Tuple[Optional[AgentView], List[str]]:
    """The least busy free agent with the skill and language, after the overflow rules in order.

    Returns the agent (or None to keep waiting) and the overflow steps taken, each logged.
    """
    steps: List[str] = []
    skills, language = [decision.skill], decision.language
    found = _matching(agents, decision.skill, language, decision.senior_required)
    if found:
        return found[0], steps
    for rule in config.overflow:
        if rule.from_queue and rule.from_queue == decision.queue and waited_seconds >= rule.only_after_seconds:
            skills.append(config.queues[rule.to].skill)
            steps.append(f"skill overflow {decision.queue} -> {rule.to}")
        elif rule.language_fallback and language != rule.language_fallback:
            language = rule.language_fallback
            steps.append(f"language overflow {decision.language} -> {language}")
        else:
            continue
        found = _first_match(agents, skills, language, decision.senior_required)
        if not found and decision.senior_required:
            found = _first_match(agents, skills, language, False)
            if found:
                steps.append("no senior agent free: any agent")
        if found:
            for step in steps:
                logger.info("overflow for %s queue: %s", decision.queue, step)
            return found[0], steps
    return None, steps
