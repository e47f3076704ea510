"""The CSAT survey at the end of a conversation: a 1–5 score and an optional comment."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.store import customer_store

NO_COMMENT = "-"
SKIP = "skip"


def score_from(value: Any) -> Optional[int]:
    """A 1–5 score from an entity value or free text ("4", "4/5", "I'd say 3")."""
    match = re.search(r"[1-5]", str(value or ""))
    return int(match.group(0)) if match else None


class ValidateCsatForm(FormValidationAction):
    """Accept scores 1–5; the comment is optional."""

    def name(self) -> Text:
        return "validate_csat_form"

    async def validate_csat_score(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value == SKIP:
            return {"csat_score": SKIP, "csat_comment": NO_COMMENT}
        score = score_from(value)
        if score is None:
            dispatcher.utter_message(response="utter_invalid_rating")
            return {"csat_score": None}
        return {"csat_score": str(score)}


class ActionSaveSurvey(Action):
    """Store the answer against the conversation and thank the customer (nothing if skipped)."""

    def name(self) -> Text:
        return "action_save_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        raw = tracker.get_slot("csat_score")
        score = None if raw == SKIP else score_from(raw)
        if score is not None:
            comment = tracker.get_slot("csat_comment")
            await customer_store().record_survey(
                tracker.sender_id, "csat", score, None if comment in (None, NO_COMMENT) else str(comment)
            )
            dispatcher.utter_message(response="utter_survey_thanks")
        return [SlotSet("csat_score", None), SlotSet("csat_comment", None)]
