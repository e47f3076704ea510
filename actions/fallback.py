"""Low NLU confidence: ask to rephrase once, then offer a topic menu or a person."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher


class ActionFallback(Action):
    """First miss: rephrase (the turn is forgotten). Second miss in a row: the menu."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses == 1:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return [UserUtteranceReverted(), SlotSet("fallback_count", 1.0)]
        dispatcher.utter_message(response="utter_fallback_menu")
        return [SlotSet("fallback_count", 0.0)]
