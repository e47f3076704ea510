"""Check (b): near-duplicate examples under different labels, by sentence-embedding similarity.

Every example is embedded with the model's own multilingual-e5-small encoder
(:func:`components.sentence_embedder.embed_queries`, ``cached=True``: training examples'
vectors are kept on disk, so only new or edited examples are embedded). Vectors are unit
length, so a dot product is the cosine similarity. Pairs of one language under different
labels at or above :data:`thresholds.NEAR_DUPLICATE_SIMILARITY` are reported as warnings:
the classifier sees nearly the same input with two answers.

Choosing the threshold (survey of the real data, 9,369 examples, December 2026): e5 puts
short customer-service sentences very close together, so the number of cross-label
pairs falls steeply with the threshold: 36,545 pairs at 0.90, 5,009 at 0.92, 541 at 0.94,
160 at 0.95, 38 at 0.96, 8 at 0.97. Between 0.95 and 0.96 the pairs are related requests
that a reader tells apart ("je veux faire une réclamation" / "je voudrais être rappelé",
"my router has a red light" / "what does a red light on the router mean"). From 0.96 up
they are genuinely confusable: the same words asking for a different label ("人工客服"
under request_human and under faq/reach_human, "повернення коштів" under faq/refunds and
"хочу повернення коштів" under inform, "can I cancel within 14 days" under
faq/cancel_contract and faq/refunds). Chinese has the most pairs (its embeddings are the
densest). Exact duplicates (same normalised text) are check (a)'s and are skipped here.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from switchboard.validation.findings import CheckResult, warning
from switchboard.validation.project import Example, Project
from switchboard.validation.thresholds import NEAR_DUPLICATE_SIMILARITY

NAME = "similarity"
TITLE = "Near-duplicate examples under different labels (embedding similarity)"


def _embed(texts: List[str]) -> np.ndarray:
    from components.sentence_embedder import embed_queries

    return embed_queries(texts, cached=True)


def similar_pairs(
    examples: List[Example], threshold: float
) -> List[Tuple[float, Example, Example]]:
    """Pairs of ``examples`` (one language) under different labels with similarity >= threshold."""
    unique: Dict[Tuple[str, str], Example] = {}
    for example in examples:
        if example.key:
            unique.setdefault((example.key, example.label), example)
    items = list(unique.values())
    if len(items) < 2:
        return []
    texts = sorted({example.text for example in items})
    row = {text: index for index, text in enumerate(texts)}
    vectors = _embed(texts)
    matrix = vectors[[row[example.text] for example in items]]
    similarity = matrix @ matrix.T
    labels = np.array([example.label for example in items], dtype=object)
    keys = np.array([example.key for example in items], dtype=object)
    candidates = (similarity >= threshold) & (labels[:, None] != labels[None, :]) & (keys[:, None] != keys[None, :])
    pairs = []
    for i, j in zip(*np.nonzero(np.triu(candidates, 1))):
        pairs.append((float(similarity[i, j]), items[i], items[j]))
    pairs.sort(key=lambda pair: (-pair[0], pair[1].where.file, pair[1].where.line))
    return pairs


def run(project: Project, threshold: Optional[float] = None) -> CheckResult:
    """A warning per confusable pair, most similar first."""
    limit = NEAR_DUPLICATE_SIMILARITY if threshold is None else threshold
    result = CheckResult(NAME, TITLE)
    by_language: Dict[str, List[Example]] = {}
    for example in project.examples:
        if example.language:
            by_language.setdefault(example.language, []).append(example)
    for language in sorted(by_language):
        for score, first, second in similar_pairs(by_language[language], limit):
            result.findings.append(
                warning(
                    NAME,
                    second.where,
                    f"[{language}] {second.text!r} ({second.label}) is {score:.3f} similar to "
                    f"{first.text!r} ({first.label}, {first.where})",
                    "if both mean the same request, keep one under the right label; if not, reword "
                    "them so the words that make the difference are there (asking how vs asking for it)",
                    (first.where,),
                )
            )
    result.notes.append(f"similarity threshold {limit:.2f} (switchboard/validation/thresholds.py)")
    return result
