"""The greeting: on voice it includes the recording disclosure."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


class ActionGreet(Action):
    """Greet in the conversation's language, with the recording notice on voice."""

    def name(self) -> Text:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        voice = tracker.get_slot("channel") == "voice"
        dispatcher.utter_message(response="utter_greet_voice" if voice else "utter_greet")
        return []
