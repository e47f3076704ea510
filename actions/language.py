"""The conversation's language, as the action server reads it.

The ``language`` slot is filled in the Rasa process on every message
(:mod:`components.conversation_slots`); actions only read it.
"""

from __future__ import annotations

from switchboard.languages import DEFAULT_LANGUAGE, LANGUAGES

SUPPORTED = LANGUAGES


def language_of(tracker) -> str:
    """The conversation's language (the ``language`` slot), English until one is known."""
    return tracker.get_slot("language") or DEFAULT_LANGUAGE
