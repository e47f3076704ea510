"""The handoff signal: built by the action, recognised by the gateway."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from bot.handoff_signal import split_handoff


def _tracker(slots=None) -> Tracker:
    return Tracker(
        sender_id="c1",
        slots=slots or {},
        latest_message={"intent": {"name": "request_human", "confidence": 0.97}, "text": "agent please"},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="utter_handoff",
    )


async def test_action_handoff_sends_a_signal() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, _tracker({"language": "fr"}), {})
    assert events == []
    assert dispatcher.messages == [
        {
            "text": None,
            "buttons": [],
            "elements": [],
            "custom": {
                "handoff": {
                    "reason": "customer_request",
                    "queue": "general",
                    "language": "fr",
                    "last_intent": "request_human",
                    "identity_verified": False,
                    "account_number": None,
                    "customer": None,
                    "escalation": {"score": 0.0, "reasons": []},
                    "escalated": False,
                }
            },
            "template": None,
            "response": None,
            "image": None,
            "attachment": None,
        }
    ]


def test_gateway_splits_the_signal_from_visible_replies() -> None:
    replies = [
        {"recipient_id": "c1", "text": "I'll connect you."},
        {"recipient_id": "c1", "custom": {"handoff": {"reason": "customer_request", "queue": "general"}}},
    ]
    visible, handoff = split_handoff(replies)
    assert visible == [{"recipient_id": "c1", "text": "I'll connect you."}]
    assert handoff == {"reason": "customer_request", "queue": "general"}


def test_no_signal() -> None:
    visible, handoff = split_handoff([{"text": "hi"}, {"custom": {"other": 1}}])
    assert handoff is None
    assert len(visible) == 2


async def test_verified_customer_profile_and_escalation_travel_with_the_signal(customer_store) -> None:
    await customer_store.create_ticket("technical", "router", "red light", "100019021001803")
    tracker = _tracker({"language": "en", "identity_status": "verified", "account_number": "100019021001803"})
    tracker.events = [{"event": "user", "text": "this is ridiculous, get me your manager"}]
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker, {})
    signal = dispatcher.messages[0]["custom"]["handoff"]
    assert signal["customer"]["tier"] == "vip" and signal["customer"]["plan"] == "Fibre 500"
    assert [t["topic"] for t in signal["customer"]["open_tickets"]] == ["router"]
    assert signal["customer"]["contacts_last_30_days"] == 1
    assert signal["escalation"]["reasons"] == ["anger_words", "manager_request"]
    assert signal["escalated"] is True
