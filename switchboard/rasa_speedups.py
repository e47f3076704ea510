"""Speed-ups for Rasa 3.6, applied by :mod:`switchboard.rasa_cli` before Rasa runs.

**Training.** Profiled on an NLU-only edit (py-spy, ``make bench-publish``): about a fifth of the
training run went to fingerprinting. After each node of the training graph, Rasa's
training hook fingerprints the node's output so that it can be cached, and the output of
the tokenizer and of each featurizer is all ~9,000 examples with their tokens. A token's
fingerprint is ``deep_container_fingerprint([text, start, end, lemma, data])``: about ten
MD5 digests and JSON dumps per token, for ~100,000 tokens, three times.

:func:`token_fingerprint` hashes the same five fields in one canonical JSON dump: equal
tokens still get equal fingerprints, and a change to any field still changes it. Only
cache keys change (the first training after this patch misses the cache once).

**Serving.** Profiled under chat load (issue 12), a quarter of the Rasa server's time went
to ``RemoteAction._validate_action_result``: ``jsonschema.validate`` checks the schema
itself on every call before it checks the action server's response. The schema is a
constant, so :func:`validate_action_result` builds its validator once and reports the
same error (``best_match``, with Rasa's hint appended) for an invalid response.

**Long conversations.** Each turn Rasa loads the conversation's events from the tracker
store and turns each stored dict into an event with ``Event.resolve_by_type``, which walks
the whole ``Event`` class tree (``all_subclasses``, with an ``inspect.isabstract`` per
class) for every event: a seventh of the server's time at turn 60 of a conversation.
:func:`resolve_event_type` remembers the class found for each type name; a name seen for
the first time, or an unknown one, goes through Rasa's own lookup.
"""

from __future__ import annotations

import json
from functools import lru_cache
from hashlib import md5
from typing import Any, Dict

_PATCHED = "_switchboard_fast_fingerprint"


def token_fingerprint(token: Any) -> str:
    """A stable digest of a token's text, offsets, lemma and data (keys in sorted order)."""
    fields = [token.text, token.start, token.end, token.lemma, token.data]
    dumped = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return md5(dumped.encode("utf-8")).hexdigest()  # nosec: a cache key, as Rasa's own get_text_hash


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(action: Any, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_EVENT_TYPES: Dict[str, Any] = {}
_NOT_FOUND = object()  # a default that is not None, so Rasa's lookup returns it instead of raising
_RASA_RESOLVE_BY_TYPE: Any = None


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` with the class found for each type name remembered."""
    found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    found = _RASA_RESOLVE_BY_TYPE(type_name, _NOT_FOUND)
    if found is not None and found is not _NOT_FOUND:
        _EVENT_TYPES[type_name] = found
        return found
    return _RASA_RESOLVE_BY_TYPE(type_name, default)  # Rasa's answer for "topic" and unknown names


def apply() -> None:
    """Install the speed-ups (idempotent)."""
    global _RASA_RESOLVE_BY_TYPE
    from rasa.core.actions.action import RemoteAction
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.core.events import Event

    if getattr(Token, _PATCHED, False):
        return
    Token.fingerprint = token_fingerprint
    RemoteAction._validate_action_result = validate_action_result
    _RASA_RESOLVE_BY_TYPE = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)
    setattr(Token, _PATCHED, True)
