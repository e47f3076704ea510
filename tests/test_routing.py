"""Routing: skill x language x tier x hours x overflow, and routing.yml validation."""

from datetime import datetime, timezone

import pytest

from bot.routing.config import RoutingConfigError, load_routing
from bot.routing.engine import AgentView, RoutingRequest, choose_agent, route
from switchboard.paths import ROOT

CONFIG = load_routing(ROOT / "routing.yml")
# Tuesday 24 November 2026, 10:00 UTC: London (10:00), Bucharest (12:00), Vilnius (12:00) and
# Shanghai (18:00) are all open.
WEEKDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
NIGHT = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)
CHRISTMAS = datetime(2026, 12, 25, 11, 0, tzinfo=timezone.utc)


def agent(id, skills=("general",), languages=("en",), senior=False, presence="available", chats=0, capacity=2):
    return AgentView(id, tuple(skills), tuple(languages), senior, "london", presence, chats, capacity)


@pytest.mark.parametrize(
    "request_, queue, reason",
    [
        (RoutingRequest("en", queue_hint="billing"), "billing", "bot hint billing"),
        (RoutingRequest("en", queue_hint="billing", ivr_choice="2"), "technical", "IVR choice 2"),
        (RoutingRequest("en", queue_hint="sales", escalated=True), "complaints", "escalated complaint"),
        (RoutingRequest("en", queue_hint="nonsense"), "general", "no hint: general"),
        (RoutingRequest("en", ivr_choice="9"), "general", "no hint: general"),
    ],
)
def test_queue_choice(request_, queue, reason) -> None:
    decision = route(request_, CONFIG, WEEKDAY_MORNING)
    assert decision.queue == queue
    assert reason in decision.reasons


def test_vip_gets_priority_a_tighter_sla_and_a_senior() -> None:
    standard = route(RoutingRequest("en", queue_hint="billing"), CONFIG, WEEKDAY_MORNING)
    vip = route(RoutingRequest("en", queue_hint="billing", tier="vip"), CONFIG, WEEKDAY_MORNING)
    assert vip.priority == standard.priority + 50
    assert vip.sla_seconds == 60 and standard.sla_seconds == 120
    assert vip.senior_required and not standard.senior_required


def test_escalated_complaints_outrank_normal_work() -> None:
    escalated = route(RoutingRequest("fr", escalated=True), CONFIG, WEEKDAY_MORNING)
    billing = route(RoutingRequest("fr", queue_hint="billing"), CONFIG, WEEKDAY_MORNING)
    assert escalated.priority > billing.priority
    assert escalated.sla_seconds == 60


@pytest.mark.parametrize(
    "language, when, open_sites",
    [
        ("en", WEEKDAY_MORNING, ["london", "bucharest", "vilnius", "shanghai"]),
        ("zh", WEEKDAY_MORNING, ["shanghai"]),
        ("lt", datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc), []),  # 17:30 in Vilnius: closed
        ("fr", NIGHT, []),
        ("en", CHRISTMAS, ["shanghai"]),  # a holiday at every English-speaking site but Shanghai
        ("zh", datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc), ["shanghai"]),  # Saturday 12:00 local
    ],
)
def test_business_hours_per_site_and_timezone(language, when, open_sites) -> None:
    decision = route(RoutingRequest(language), CONFIG, when)
    assert decision.open_sites == open_sites
    assert decision.open == bool(decision.open_sites)


def test_the_least_busy_agent_with_skill_and_language() -> None:
    decision = route(RoutingRequest("fr", queue_hint="billing"), CONFIG, WEEKDAY_MORNING)
    agents = [
        agent("a1", skills=("billing",), languages=("en",)),
        agent("a2", skills=("billing",), languages=("fr", "en"), chats=1),
        agent("a3", skills=("billing",), languages=("fr",)),
        agent("a4", skills=("billing",), languages=("fr",), presence="away"),
        agent("a5", skills=("billing",), languages=("fr",), chats=2, capacity=2),
    ]
    chosen, steps = choose_agent(decision, CONFIG, agents)
    assert chosen.id == "a3" and steps == []


def test_skill_overflow_is_explicit() -> None:
    decision = route(RoutingRequest("en", queue_hint="billing"), CONFIG, WEEKDAY_MORNING)
    chosen, steps = choose_agent(decision, CONFIG, [agent("g1", skills=("general",))])
    assert chosen.id == "g1"
    assert steps == ["skill overflow billing -> general"]


def test_complaints_overflow_only_after_waiting() -> None:
    decision = route(RoutingRequest("en", escalated=True), CONFIG, WEEKDAY_MORNING)
    agents = [agent("g1", skills=("general",))]
    assert choose_agent(decision, CONFIG, agents, waited_seconds=30)[0] is None
    chosen, steps = choose_agent(decision, CONFIG, agents, waited_seconds=150)
    assert chosen.id == "g1" and steps == ["skill overflow complaints -> general"]


def test_language_overflow_to_english() -> None:
    decision = route(RoutingRequest("lt", queue_hint="technical"), CONFIG, WEEKDAY_MORNING)
    chosen, steps = choose_agent(decision, CONFIG, [agent("t1", skills=("technical",), languages=("en",))])
    assert chosen.id == "t1"
    assert steps == ["skill overflow technical -> general", "language overflow lt -> en"]


def test_vip_waits_for_a_senior_then_overflows_to_any() -> None:
    decision = route(RoutingRequest("en", queue_hint="billing", tier="vip"), CONFIG, WEEKDAY_MORNING)
    junior = agent("j1", skills=("billing",))
    senior = agent("s1", skills=("billing",), senior=True, chats=1)
    assert choose_agent(decision, CONFIG, [junior, senior])[0].id == "s1"
    chosen, steps = choose_agent(decision, CONFIG, [junior, agent("g1", skills=("general",))])
    assert chosen.id in ("j1", "g1")
    assert "no senior agent free: any agent" in steps


def test_nobody_free_keeps_the_customer_waiting() -> None:
    decision = route(RoutingRequest("zh", queue_hint="sales"), CONFIG, WEEKDAY_MORNING)
    chosen, steps = choose_agent(decision, CONFIG, [agent("x", presence="offline", skills=("general",))])
    assert chosen is None
    assert steps[0] == "skill overflow sales -> general"


@pytest.mark.parametrize(
    "replace, expected",
    [
        (("sla_seconds: 120}", "sla_seconds: soon}"), r"routing.yml:6: queues.billing.sla_seconds: value is not a valid integer"),
        (("timezone: Europe/London", "timezone: Mars/Olympus"), r"routing.yml:\d+: sites.london.timezone: unknown timezone 'Mars/Olympus'"),
        (('mon-fri: "08:00-20:00"', 'mon-fri: "20:00-08:00"'), r"sites.london.hours: bad hours '20:00-08:00': closes before it opens"),
        (('"2": technical', '"2": plumbing'), r"ivr.2: unknown queue 'plumbing'"),
        (("queues:", "queues: [\n"), r"routing.yml:\d+: invalid YAML"),
        (("overflow:", "after_hours_queue: voicemail\noverflow:"), r"after_hours_queue: unknown queue 'voicemail'"),
        (('mon-fri: "08:00-20:00"', 'mon-fri: "08:00-25:00"'), r"sites.london.hours: bad hours '08:00-25:00'"),
    ],
)
def test_invalid_routing_files_name_file_line_and_field(tmp_path, replace, expected) -> None:
    text = (ROOT / "routing.yml").read_text().replace(*replace, 1)
    path = tmp_path / "routing.yml"
    path.write_text(text)
    with pytest.raises(RoutingConfigError, match=expected):
        load_routing(path)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(RoutingConfigError, match="cannot read"):
        load_routing(tmp_path / "nope.yml")


def test_24_00_closes_at_the_end_of_the_day(tmp_path) -> None:
    text = (ROOT / "routing.yml").read_text().replace('mon-fri: "08:00-20:00"', 'mon-fri: "00:00-24:00"', 1)
    path = tmp_path / "routing.yml"
    path.write_text(text)
    config = load_routing(path)
    late = datetime(2026, 11, 4, 23, 59, 30, tzinfo=timezone.utc)  # a Wednesday, 23:59 in London
    assert "london" in route(RoutingRequest(language="fr"), config, late).open_sites
