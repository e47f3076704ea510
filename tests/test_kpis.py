"""KPI arithmetic on hand-made rows: containment, wait, SLA, abandonment, AHT, FCR."""

from datetime import datetime, timedelta, timezone

from bot.db.models import Conversation, Handoff
from bot.kpis import compute

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def _conversation(cid: str, external: str) -> Conversation:
    return Conversation(id=cid, channel="chat", external_id=external, created_at=T0)


def _handoff(cid: str, status: str, wait: int | None = None, handle: int | None = None,
             disposition: str | None = None, sla: int = 120) -> Handoff:
    assigned = T0 + timedelta(seconds=wait) if wait is not None else None
    closed = assigned + timedelta(seconds=handle) if assigned is not None and handle is not None else None
    return Handoff(conversation_id=cid, status=status, created_at=T0, assigned_at=assigned, closed_at=closed,
                   disposition=disposition, sla_seconds=sla)


def test_kpis_from_a_small_day() -> None:
    conversations = [_conversation(f"c{i}", f"customer{i}") for i in range(1, 6)]
    handoffs = [
        _handoff("c1", "closed", wait=60, handle=300, disposition="resolved"),
        _handoff("c2", "closed", wait=180, handle=500, disposition="resolved"),
        _handoff("c3", "abandoned"),
    ]
    # customer2 came back a day after their conversation was closed: not a first-contact resolution.
    later = {"chat:customer2": [T0 + timedelta(days=1)]}
    result = compute(conversations, handoffs, later)
    assert result["conversations"] == 5 and result["handoffs"] == 3
    assert result["containment_rate"] == 0.4  # c4 and c5 never reached a person
    assert result["wait_seconds_mean"] == 120.0
    assert result["answered_within_sla_rate"] == 0.5  # 60 s within 120 s; 180 s is not
    assert result["abandonment_rate"] == round(1 / 3, 3)
    assert result["average_handle_seconds"] == 400.0
    assert result["first_contact_resolution_rate"] == 0.5


def test_no_data_gives_none_not_a_division_error() -> None:
    result = compute([], [], {})
    assert result["containment_rate"] is None and result["average_handle_seconds"] is None
    assert result["first_contact_resolution_rate"] is None and result["wait_seconds_p90"] is None
