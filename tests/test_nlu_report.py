"""The cross-validation report's splitting and formatting (the training runs are `make nlu-report`)."""

from collections import Counter

from switchboard.nlu_report import folds, load_examples, table


def test_folds_are_stratified_and_disjoint() -> None:
    examples = load_examples("fr")
    parts = folds(examples, 3, seed=1)
    assert sum(len(p) for p in parts) == len(examples)
    assert len({e for p in parts for e in p}) == len(set(examples))
    per_intent = Counter(intent for _, intent in examples)
    for part in parts:
        counts = Counter(intent for _, intent in part)
        for intent, total in per_intent.items():
            assert abs(counts[intent] - total / 3) <= 1


def test_full_faq_labels_are_loaded() -> None:
    labels = {intent for _, intent in load_examples("zh")}
    assert "faq/opening_hours" in labels and "faq" not in labels


def test_table_lists_scores_and_confusions() -> None:
    scores = {"en": {"examples": 10, "macro_f1": 0.8, "accuracy": 0.9, "fallback_rate": 0.05,
                     "top_confusions": [{"gold": "faq/privacy", "predicted": "faq/data_usage", "count": 3}]}}
    text = table(scores, 3)
    assert "| en | 10 | 0.800 | 0.900 | 0.050 |" in text
    assert "faq/privacy -> faq/data_usage (3)" in text
