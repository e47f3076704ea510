"""A disk cache of sentence embeddings, keyed by model and text, for training data only.

Embedding ~9,000 training examples takes over a minute on two cores, and a content edit
changes a handful of them. The cache keeps each vector under the SHA-256 of its text in
one SQLite table per model, so a retrain embeds only new or changed examples, and every
clone, fold and benchmark on the machine shares the work.

Only training examples (text the project ships) go in: customer messages parsed at run
time are never written here, so no card number or personal data can land on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from switchboard import paths

Encode = Callable[[List[str]], np.ndarray]
_TABLE_SAFE = re.compile(r"[^a-z0-9_]")


def default_path() -> Path:
    """``SWITCHBOARD_EMBEDDING_CACHE``, or ``embeddings.sqlite`` in the machine's Switchboard cache."""
    configured = os.environ.get("SWITCHBOARD_EMBEDDING_CACHE")
    return Path(configured) if configured else paths.cache_dir() / "embeddings.sqlite"


def text_key(text: str) -> bytes:
    """The key of one text: its UTF-8 SHA-256 (the text itself is not stored)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of one model, by text; a miss is embedded, stored and returned."""

    def __init__(self, model_id: str, dimension: int, path: Optional[Path] = None) -> None:
        """``model_id`` names the model and its version: a new model never reads old vectors."""
        self.model_id = model_id
        self.dimension = dimension
        self.path = Path(path) if path is not None else default_path()
        self._table = "v_" + _TABLE_SAFE.sub("_", model_id.lower())

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {self._table} (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def lookup(self, texts: Sequence[str]) -> Dict[bytes, np.ndarray]:
        """The stored vectors among ``texts``, by key."""
        keys = list({text_key(text) for text in texts})
        found: Dict[bytes, np.ndarray] = {}
        with self._connect() as connection:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(f"SELECT key, vector FROM {self._table} WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dimension,):
                        found[key] = vector
        return found

    def store(self, texts: Iterable[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` (one row per text)."""
        rows = [(text_key(text), np.asarray(vector, dtype=np.float32).tobytes()) for text, vector in zip(texts, vectors)]
        with self._connect() as connection:
            connection.executemany(f"INSERT OR REPLACE INTO {self._table} (key, vector) VALUES (?, ?)", rows)

    def embed(self, texts: Sequence[str], encode: Encode, store: bool = True) -> np.ndarray:
        """Vectors for ``texts`` in order: cached ones read, the others embedded by ``encode``
        and, if ``store``, kept. ``store=False`` never writes (and reads only an existing cache)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = self.lookup(texts) if store or self.path.exists() else {}
        missing = list(dict.fromkeys(text for text in texts if text_key(text) not in found))
        if missing:
            vectors = np.atleast_2d(np.asarray(encode(missing), dtype=np.float32))
            if store:
                self.store(missing, vectors)
            found.update((text_key(text), vector) for text, vector in zip(missing, vectors))
        return np.vstack([found[text_key(text)] for text in texts]).astype(np.float32)
