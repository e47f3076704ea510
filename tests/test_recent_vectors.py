"""The in-memory vectors of recently parsed texts (components/recent_vectors.py)."""

from typing import List

import numpy as np

from components.recent_vectors import RecentVectors


class CountingEncoder:
    """Each text's vector is its length, repeated; remembers every batch it was asked for."""

    def __init__(self) -> None:
        self.batches: List[List[str]] = []

    def __call__(self, texts: List[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return np.array([[float(len(text))] * 3 for text in texts], dtype=np.float32).reshape(len(texts), 3)


def test_only_unseen_texts_are_encoded_once_and_order_is_kept() -> None:
    encoder, recent = CountingEncoder(), RecentVectors(8)
    first = recent.embed(["hi", "hello there", "hi"], encoder)
    assert encoder.batches == [["hi", "hello there"]]
    assert first[:, 0].tolist() == [2.0, 11.0, 2.0]
    second = recent.embed(["hello there", "yes", "hi"], encoder)
    assert encoder.batches[-1] == ["yes"]
    assert second[:, 0].tolist() == [11.0, 3.0, 2.0]
    assert (recent.hits, recent.misses) == (2, 4)  # the repeated "hi" in the first call counts as a miss


def test_least_recently_used_is_dropped_first() -> None:
    encoder, recent = CountingEncoder(), RecentVectors(2)
    recent.embed(["a"], encoder)
    recent.embed(["bb"], encoder)
    recent.embed(["a"], encoder)  # "a" is now the most recent
    recent.embed(["ccc"], encoder)  # drops "bb"
    assert len(recent) == 2
    recent.embed(["a", "bb"], encoder)
    assert encoder.batches[-1] == ["bb"]


def test_no_customer_text_is_kept() -> None:
    recent = RecentVectors(4)
    recent.embed(["my card is 4111 1111 1111 1111"], CountingEncoder())
    assert all(isinstance(key, bytes) and b"4111" not in key for key in recent._vectors)


def test_size_zero_keeps_nothing() -> None:
    encoder, recent = CountingEncoder(), RecentVectors(0)
    recent.embed(["hi"], encoder)
    recent.embed(["hi"], encoder)
    assert len(recent) == 0 and len(encoder.batches) == 2
