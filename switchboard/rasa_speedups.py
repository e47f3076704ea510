"""Speed-ups for Rasa 3.6's ``rasa train``, applied by :mod:`switchboard.rasa_cli` before Rasa runs.

Profiled on an NLU-only edit (py-spy, ``make bench-publish``): about a fifth of the
training run went to fingerprinting. After each node of the training graph, Rasa's
training hook fingerprints the node's output so that it can be cached, and the output of
the tokenizer and of each featurizer is all ~9,000 examples with their tokens. A token's
fingerprint is ``deep_container_fingerprint([text, start, end, lemma, data])``: about ten
MD5 digests and JSON dumps per token, for ~100,000 tokens, three times.

:func:`token_fingerprint` hashes the same five fields in one canonical JSON dump: equal
tokens still get equal fingerprints, and a change to any field still changes it. Only
cache keys change (the first training after this patch misses the cache once).
"""

from __future__ import annotations

import json
from hashlib import md5
from typing import Any

_PATCHED = "_switchboard_fast_fingerprint"


def token_fingerprint(token: Any) -> str:
    """A stable digest of a token's text, offsets, lemma and data (keys in sorted order)."""
    fields = [token.text, token.start, token.end, token.lemma, token.data]
    dumped = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return md5(dumped.encode("utf-8")).hexdigest()  # nosec: a cache key, as Rasa's own get_text_hash


def apply() -> None:
    """Install the speed-ups (idempotent)."""
    from rasa.nlu.tokenizers.tokenizer import Token

    if getattr(Token, _PATCHED, False):
        return
    Token.fingerprint = token_fingerprint
    setattr(Token, _PATCHED, True)
