"""Routing decisions: which queue, what priority and SLA, is anyone open, which agent.

Pure functions over the configuration and a snapshot of agents, so every rule is unit
tested; the gateway supplies the snapshot from its database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from bot.routing.config import RoutingConfig, SiteConfig
from bot.states import Presence

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
        return self.presence == Presence.AVAILABLE and self.active_chats < self.capacity


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


def why_not(agent: AgentView, decision: RoutingDecision, skills: Sequence[str] = (), language: str = "",
            senior_required: Optional[bool] = None) -> List[str]:
    """Why ``agent`` may not take this conversation now (empty: they may).

    The one eligibility rule behind accept, accept next, auto-assign and transfer to an agent:
    available, below capacity, with the queue's skill (or one the overflow rules allow),
    speaking the language (or the overflow language) and senior for a VIP.
    """
    skills = tuple(skills) or (decision.skill,)
    language = language or decision.language
    senior = decision.senior_required if senior_required is None else senior_required
    reasons = []
    if agent.presence != Presence.AVAILABLE:
        reasons.append(f"is {agent.presence}, not available")
    if agent.active_chats >= agent.capacity:
        reasons.append(f"is at capacity ({agent.active_chats} of {agent.capacity} conversations)")
    if not any(skill in agent.skills for skill in skills):
        reasons.append(f"does not have the {decision.skill} skill")
    if language not in agent.languages and decision.language not in agent.languages:
        reasons.append(f"does not speak {decision.language}")
    if senior and not agent.senior:
        reasons.append("is not a senior agent (VIP customer)")
    return reasons


def _matching(agents: Sequence[AgentView], skills: Sequence[str], language: str, senior: bool,
              decision: RoutingDecision) -> List[AgentView]:
    candidates = [a for a in agents if not why_not(a, decision, skills, language, senior)]
    return sorted(candidates, key=lambda a: (a.active_chats / a.capacity, a.id))


def _widenings(decision: RoutingDecision, config: RoutingConfig,
               waited_seconds: float) -> Iterator[Tuple[List[str], str, List[str]]]:
    """(skills, language, steps so far) to try in order: the strict match, then each overflow rule that applies."""
    skills, language, steps = [decision.skill], decision.language, []
    yield list(skills), language, list(steps)
    for rule in config.overflow:
        if rule.from_queue and rule.from_queue == decision.queue and waited_seconds >= rule.only_after_seconds:
            skills.append(config.queues[rule.to].skill)
            steps.append(f"skill overflow {decision.queue} -> {rule.to}")
        elif rule.language_fallback and language != rule.language_fallback:
            language = rule.language_fallback
            steps.append(f"language overflow {decision.language} -> {language}")
        else:
            continue
        yield list(skills), language, list(steps)


def eligible_agents(
    decision: RoutingDecision,
    config: RoutingConfig,
    agents: Sequence[AgentView],
    waited_seconds: float = 0.0,
) -> Tuple[List[AgentView], List[str]]:
    """The agents who may take the conversation now, least busy first, and the overflow steps taken.

    Agents who match strictly come first; only when none is free do the overflow rules, in
    order, widen the skills, the language and (last, within an overflow step) drop the senior
    requirement.
    """
    steps: List[str] = []
    for skills, language, steps in _widenings(decision, config, waited_seconds):
        found = _matching(agents, skills, language, decision.senior_required, decision)
        if not found and steps and decision.senior_required:
            found = _matching(agents, skills, language, False, decision)
            if found:
                steps.append("no senior agent free: any agent")
        if found:
            return found, steps
    return [], steps


def choose_agent(
    decision: RoutingDecision,
    config: RoutingConfig,
    agents: Sequence[AgentView],
    waited_seconds: float = 0.0,
) -> Tuple[Optional[AgentView], List[str]]:
    """The least busy eligible agent (or None to keep waiting), and the overflow steps taken, each logged."""
    found, steps = eligible_agents(decision, config, agents, waited_seconds)
    if found:
        for step in steps:
            logger.info("overflow for %s queue: %s", decision.queue, step)
        return found[0], steps
    return None, steps
