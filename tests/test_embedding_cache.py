"""The embedding cache: the same vectors as a fresh embedding, one model never reads another's."""

from pathlib import Path

import numpy as np

from components.embedding_cache import EmbeddingCache
from components.sentence_embedder import E5_DIMENSION, e5_model_id, embed_queries

TEXTS = ["what are your opening hours?", "quelles sont vos heures d'ouverture ?", "我的路由器一直闪红灯"]


def test_cached_vectors_equal_a_fresh_embedding_on_the_first_and_the_second_read(cache_file: Path) -> None:
    fresh = embed_queries(TEXTS)
    first = embed_queries(TEXTS, cached=True)
    second = embed_queries(TEXTS, cached=True)
    assert cache_file.exists(), "the cache file was not written"
    np.testing.assert_allclose(first, fresh, atol=1e-6, err_msg="a cache miss returned other vectors than the model")
    np.testing.assert_array_equal(second, first, err_msg="a cache hit returned other vectors than were stored")


def test_only_new_texts_are_embedded_and_order_and_repeats_are_kept(cache_file: Path) -> None:
    cache = EmbeddingCache(e5_model_id(), E5_DIMENSION)
    asked = []

    def encode(batch):
        asked.append(list(batch))
        return embed_queries(batch)

    cache.embed(TEXTS[:2], encode)
    vectors = cache.embed([TEXTS[2], TEXTS[0], TEXTS[2]], encode)
    assert asked == [TEXTS[:2], [TEXTS[2]]], f"expected only the new text to be embedded, got {asked}"
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_allclose(vectors[1], embed_queries([TEXTS[0]])[0], atol=1e-6)


def test_another_model_does_not_read_the_vectors_of_this_one(cache_file: Path) -> None:
    EmbeddingCache("model_a", 3).embed(["hello"], lambda batch: np.ones((len(batch), 3)))
    vectors = EmbeddingCache("model_b", 3).embed(["hello"], lambda batch: np.zeros((len(batch), 3)))
    np.testing.assert_array_equal(vectors, np.zeros((1, 3)), err_msg="model_b read model_a's vector")


def test_the_texts_themselves_are_not_stored(cache_file: Path) -> None:
    EmbeddingCache("model_a", 3).embed(["my secret sentence"], lambda batch: np.ones((len(batch), 3)))
    assert b"my secret sentence" not in cache_file.read_bytes() + _wal(cache_file)


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
