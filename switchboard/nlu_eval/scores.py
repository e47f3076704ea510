"""Scores of parsed messages: labels, entities, and the out-of-scope operating curve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from rasa.shared.nlu.training_data.message import Message

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Prediction:
    """What the pipeline made of one message, with the FallbackClassifier's decision undone."""

    label: str  # full label: faq/<topic> for FAQs
    confidence: float  # the classifier's confidence in its top intent
    fell_back: bool  # whether the FallbackClassifier asked to rephrase
    entities: Set[Tuple[str, str]] = field(default_factory=set)  # (entity, value), lower-cased


def prediction(message: Message) -> Prediction:
    """The :class:`Prediction` of a parsed message."""
    from rasa.nlu.classifiers.fallback_classifier import (
        is_fallback_classifier_prediction,
        undo_fallback_prediction,
    )

    parsed = message.as_dict_nlu()
    fell_back = is_fallback_classifier_prediction(parsed)
    if fell_back:
        parsed = undo_fallback_prediction(parsed)
    intent = parsed.get("intent") or {}
    label = intent.get("name") or ""
    selected = ((parsed.get("response_selector") or {}).get(label) or {}).get("response") or {}
    label = selected.get("intent_response_key") or label
    entities = {(e["entity"], str(e.get("value")).lower()) for e in parsed.get("entities") or []}
    return Prediction(label, float(intent.get("confidence") or 0.0), fell_back, entities)


def gold_entities(message: Message, synonyms: Optional[Dict[str, str]] = None) -> Set[Tuple[str, str]]:
    """The annotated (entity, value) pairs of a training example, values mapped through the
    training data's synonyms as the EntitySynonymMapper maps predictions.

    Entities are scored by value, not span: the value is what fills a slot, and a closed
    list matched inside a word ("телефон" in "телефону") gives the same value as the
    annotated whole word.
    """
    synonyms = synonyms or {}
    pairs = set()
    for entity in message.get("entities") or []:
        value = str(entity.get("value", "")).lower()
        pairs.add((entity["entity"], str(synonyms.get(value, value)).lower()))
    return pairs


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the gold labels."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0))


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """The share of exact matches."""
    return sum(g == p for g, p in zip(gold, predicted)) / max(1, len(gold))


@dataclass(frozen=True)
class EntityScore:
    """Entity counts and F1."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def f1(self) -> float:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def entity_scores(gold: Iterable[Set[Tuple]], predicted: Iterable[Set[Tuple]]) -> Dict[str, EntityScore]:
    """Scores per entity type, and ``"all"`` (micro), over per-message sets of entity tuples."""
    counts: Dict[str, Counter] = {}
    for g, p in zip(gold, predicted):
        for kind, found in (("tp", g & p), ("fp", p - g), ("fn", g - p)):
            for entity in found:
                counts.setdefault(entity[0], Counter())[kind] += 1
    scores = {name: EntityScore(c["tp"], c["fp"], c["fn"]) for name, c in sorted(counts.items())}
    total = Counter()
    for c in counts.values():
        total.update(c)
    scores["all"] = EntityScore(total["tp"], total["fp"], total["fn"])
    return scores


@dataclass(frozen=True)
class OperatingPoint:
    """In-scope accuracy and out-of-scope recall if messages below ``threshold`` are rejected."""

    threshold: float
    in_scope_accuracy: float  # correct and not rejected
    out_of_scope_recall: float  # rejected, or classified as out_of_scope
    in_scope_rejected: float


def operating_curve(
    in_scope: Sequence[Tuple[Prediction, str]], out_of_scope: Sequence[Prediction], thresholds: Sequence[float],
    oos_label: str = "out_of_scope",
) -> List[OperatingPoint]:
    """The curve over ``thresholds``: ``in_scope`` are (prediction, gold label) pairs."""
    points = []
    for threshold in thresholds:
        kept = [(p, gold) for p, gold in in_scope if p.confidence >= threshold]
        correct = sum(p.label == gold for p, gold in kept)
        caught = sum(p.confidence < threshold or p.label == oos_label for p in out_of_scope)
        points.append(
            OperatingPoint(
                round(threshold, 3),
                correct / max(1, len(in_scope)),
                caught / max(1, len(out_of_scope)),
                1 - len(kept) / max(1, len(in_scope)),
            )
        )
    return points


def choose_threshold(curve: List[OperatingPoint], max_accuracy_drop: float = 0.01) -> Optional[OperatingPoint]:
    """The point with the best out-of-scope recall whose in-scope accuracy is within
    ``max_accuracy_drop`` of the best on the curve (the lowest such threshold on ties)."""
    if not curve:
        return None
    best_accuracy = max(point.in_scope_accuracy for point in curve)
    allowed = [p for p in curve if p.in_scope_accuracy >= best_accuracy - max_accuracy_drop]
    return max(allowed, key=lambda p: (p.out_of_scope_recall, -p.threshold))
