"""``routing.yml``: loaded into typed settings, with errors that name the file, line and field."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, root_validator, validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class RoutingConfigError(ValueError):
    """routing.yml is invalid; the message says where and why."""


class QueueConfig(BaseModel):
    skill: str
    priority: int = Field(ge=0)
    sla_seconds: int = Field(gt=0)


class VipConfig(BaseModel):
    priority_boost: int = Field(ge=0)
    sla_seconds: int = Field(gt=0)
    senior_only: bool = True


class EscalationConfig(BaseModel):
    queue: str
    priority_boost: int = Field(ge=0)
    sla_seconds: int = Field(gt=0)


class SiteConfig(BaseModel):
    timezone: str
    languages: List[str]
    hours: Dict[str, str]
    holidays: List[date] = []

    @validator("timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @validator("hours")
    def _valid_hours(cls, value: Dict[str, str]) -> Dict[str, str]:
        for days, span in value.items():
            expand_days(days)
            parse_span(span)
        return value

    def opening(self) -> Dict[int, Tuple[time, time]]:
        """Weekday (0 = Monday) -> (opens, closes)."""
        table: Dict[int, Tuple[time, time]] = {}
        for days, span in self.hours.items():
            for day in expand_days(days):
                table[day] = parse_span(span)
        return table


class OverflowRule(BaseModel):
    from_queue: Optional[str] = Field(None, alias="from")
    to: Optional[str] = None
    only_after_seconds: int = 0
    language_fallback: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values):
        skill_rule = values.get("from_queue") is not None and values.get("to") is not None
        language_rule = values.get("language_fallback") is not None
        if skill_rule == language_rule:
            raise ValueError("an overflow rule has either 'from' and 'to', or 'language_fallback'")
        return values


class RoutingConfig(BaseModel):
    queues: Dict[str, QueueConfig]
    vip: VipConfig
    escalation: EscalationConfig
    ivr: Dict[str, str] = {}
    sites: Dict[str, SiteConfig]
    overflow: List[OverflowRule] = []
    # Where conversations wait when no site that speaks their language is open.
    after_hours_queue: str = "callback"
    # Push waiting conversations to free agents (true), or let agents pull with "accept next".
    auto_assign: bool = False

    @root_validator(skip_on_failure=True)
    def _queues_exist(cls, values):
        queues = values["queues"]
        referenced = [("escalation.queue", values["escalation"].queue), ("after_hours_queue", values["after_hours_queue"])]
        referenced += [(f"ivr.{key}", name) for key, name in values.get("ivr", {}).items()]
        for rule in values.get("overflow", []):
            if rule.from_queue:
                referenced += [("overflow.from", rule.from_queue), ("overflow.to", rule.to)]
        for where, name in referenced:
            if name not in queues:
                raise ValueError(f"{where}: unknown queue {name!r} (known: {', '.join(sorted(queues))})")
        if "general" not in queues:
            raise ValueError("queues: a 'general' queue is required")
        return values


def expand_days(spec: str) -> List[int]:
    """'mon-fri' -> [0..4], 'sat' -> [5], 'sat-sun' -> [5, 6]."""
    parts = spec.lower().split("-")
    if not all(p in DAYS for p in parts) or len(parts) > 2:
        raise ValueError(f"bad day range {spec!r} (use mon..sun, e.g. 'mon-fri')")
    first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
    if last < first:
        raise ValueError(f"bad day range {spec!r}: ends before it starts")
    return list(range(first, last + 1))


def parse_span(span: str) -> Tuple[time, time]:
    """'08:00-20:00' -> (08:00, 20:00); '00:00-24:00' is the whole day."""
    match = _RANGE.match(str(span).strip())
    if not match:
        raise ValueError(f"bad hours {span!r} (use 'HH:MM-HH:MM')")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        # '24:00' closes at the end of the day, for sites open around the clock.
        opens, closes = time(h1, m1), (time.max if (h2, m2) == (24, 0) else time(h2, m2))
    except ValueError as exc:
        raise ValueError(f"bad hours {span!r}: {exc}") from exc
    if closes <= opens:
        raise ValueError(f"bad hours {span!r}: closes before it opens")
    return opens, closes


def _line_of(root: yaml.Node, location: Sequence[Union[str, int]]) -> Optional[int]:
    """The 1-based line of a field in the YAML document, following the error's location."""
    node = root
    line = node.start_mark.line + 1
    for key in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_routing(path: Union[str, Path]) -> RoutingConfig:
    """Read and validate routing.yml, or raise RoutingConfigError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutingConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise RoutingConfigError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise RoutingConfigError(f"{path}: expected a mapping with queues, vip, escalation, sites")
    try:
        return RoutingConfig.parse_obj(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = [part for part in first["loc"] if part != "__root__"]
        line = _line_of(root, location) if root is not None else None
        field = ".".join(str(p) for p in location) or "(top level)"
        raise RoutingConfigError(f"{path}:{line}: {field}: {first['msg']}") from exc
