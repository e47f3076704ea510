"""Marks each token with the training data's regexes it falls in, for ``CRFEntityExtractor``.

The CRF's ``pattern`` feature reads ``token.get("pattern")``, a ``{regex name: bool}``
map. Rasa 2's RegexFeaturizer set it; Rasa 3's only adds sparse features, which the CRF
cannot read, so the feature is silently empty. This component fills it again from the
``regex:`` entries in ``data/nlu/regex.yml`` (dates, month names, language and device
names, ratings in six languages), so the CRF learns from the same patterns.

It also gives each message one sentence-level sparse feature row, which patterns matched.
``CRFEntityExtractor`` trains on, and tags, only messages that carry some featurizer's
features; this row is what lets the pipeline go without a ``RegexFeaturizer``, whose
features the CRF never reads (and which cost ~9 s per training on the project's data).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

PATTERNS_FILE = "patterns.json"
PATTERN_KEY = "pattern"  # the token attribute CRFEntityExtractor's `pattern` feature reads


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TokenPatternMarker(GraphComponent):
    """Learns the training data's regexes and marks the tokens each one matches."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, patterns: Optional[List[Dict]] = None) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self._model_storage = model_storage
        self._resource = resource
        self._patterns: List[Dict[Text, Text]] = patterns or []
        self._compiled = [(p["name"], re.compile(p["pattern"])) for p in self._patterns]

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TokenPatternMarker":
        """A marker that knows no patterns yet."""
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> "TokenPatternMarker":
        """The marker with the patterns it was trained with."""
        try:
            with model_storage.read_from(resource) as directory:
                patterns = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("TokenPatternMarker: no patterns stored in '%s'.", resource.name)
            patterns = []
        return cls(model_storage, resource, patterns)

    def train(self, training_data: TrainingData) -> Resource:
        """Keep the regexes of the training data (lookup tables are matched by RegexEntityExtractor)."""
        self._patterns = [{"name": p["name"], "pattern": p["pattern"]} for p in training_data.regex_features]
        self._compiled = [(p["name"], re.compile(p["pattern"])) for p in self._patterns]
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PATTERNS_FILE).write_text(json.dumps(self._patterns, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def _mark(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        text = message.get(TEXT)
        if not tokens or not text:
            return
        for token in tokens:
            token.set(PATTERN_KEY, {})
        matched = []
        for index, (name, regex) in enumerate(self._compiled):
            for match in regex.finditer(text):
                matched.append(index)
                for token in tokens:
                    if token.start < match.end() and token.end > match.start():
                        token.get(PATTERN_KEY)[name] = True
        message.add_features(self._sentence_features(sorted(set(matched))))

    def _sentence_features(self, matched: List[int]) -> Features:
        """A 1 × patterns row, 1 where a pattern matched (one column when there are none)."""
        columns = np.asarray(matched, dtype=np.int32)
        row = sp.csr_matrix(
            (np.ones(len(columns)), columns, np.array([0, len(columns)], dtype=np.int32)),
            shape=(1, max(1, len(self._compiled))),
        )
        return Features(row, FEATURE_TYPE_SENTENCE, TEXT, type(self).__name__)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Mark the training examples' tokens."""
        for message in training_data.training_examples:
            self._mark(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Mark incoming messages' tokens."""
        for message in messages:
            self._mark(message)
        return messages
