"""The NLU evaluation's parts: stratified folds, scores, the out-of-scope curve, the HTML page,
and config.yml's pipeline trained and run in-process."""

from collections import Counter

import pytest
from rasa.shared.nlu.training_data.message import Message

from switchboard.nlu_eval.dataset import Example, load_corpus, load_heldout_oos, stratified_folds
from switchboard.nlu_eval.pipeline import InProcessPipeline, pipeline_config
from switchboard.nlu_eval.report import render, summary
from switchboard.nlu_eval.scores import (
    OperatingPoint, Prediction, choose_threshold, entity_scores, gold_entities, macro_f1, operating_curve,
)


def _example(text: str, label: str, language: str = "en") -> Example:
    return Example(Message(data={"text": text, "intent": label}), language)


def test_folds_are_disjoint_and_stratified_by_language_and_label() -> None:
    examples = [_example(f"{label} {i}", label, lang) for lang in ("en", "fr") for label in ("a", "b") for i in range(9)]
    parts = stratified_folds(examples, 3, seed=1)
    assert sorted(e.text + e.language for p in parts for e in p) == sorted(e.text + e.language for e in examples)
    for part in parts:
        assert Counter((e.language, e.label) for e in part) == {(l, b): 3 for l in ("en", "fr") for b in ("a", "b")}


def test_the_corpus_has_six_languages_full_faq_labels_and_a_held_out_oos_set() -> None:
    corpus = load_corpus()
    assert {e.language for e in corpus.examples} == {"en", "fr", "ro", "uk", "lt", "zh"}
    labels = {e.label for e in corpus.examples}
    assert "faq/opening_hours" in labels and "faq" not in labels and "out_of_scope" in labels
    heldout = load_heldout_oos()
    assert len({h.language for h in heldout}) == 6
    trained = {e.text.strip().lower() for e in corpus.examples}
    assert not [h.text for h in heldout if h.text.strip().lower() in trained], "held-out messages are in the training data"


def test_entity_scores_count_entity_values_after_synonyms() -> None:
    message = Message(data={"text": "мій телефону", "entities": [{"entity": "device", "start": 4, "end": 12, "value": "телефону"}]})
    assert gold_entities(message, {"телефону": "phone"}) == {("device", "phone")}
    gold = [{("rating", "4")}, {("device", "router")}, set()]
    predicted = [{("rating", "4")}, {("device", "phone")}, {("rating", "2")}]
    scores = entity_scores(gold, predicted)
    assert (scores["rating"].true_positives, scores["rating"].false_positives) == (1, 1)
    assert (scores["device"].false_positives, scores["device"].false_negatives) == (1, 1)
    assert scores["all"].f1 == pytest.approx(2 * 1 / (2 * 1 + 2 + 1))


def test_macro_f1_is_over_gold_labels() -> None:
    assert macro_f1(["a", "a", "b"], ["a", "a", "b"]) == 1.0
    assert macro_f1(["a", "b"], ["a", "a"]) == pytest.approx((2 / 3 + 0) / 2)


def test_the_operating_curve_trades_in_scope_accuracy_for_out_of_scope_recall() -> None:
    in_scope = [(Prediction("a", 0.9, False), "a"), (Prediction("b", 0.3, False), "b"), (Prediction("a", 0.6, False), "b")]
    oos = [Prediction("a", 0.2, False), Prediction("out_of_scope", 0.8, False), Prediction("b", 0.5, False)]
    low, mid, high = operating_curve(in_scope, oos, [0.0, 0.4, 0.7])
    assert (low.in_scope_accuracy, low.out_of_scope_recall) == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert (mid.in_scope_accuracy, mid.out_of_scope_recall) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert high.out_of_scope_recall == 1.0 and high.in_scope_rejected == pytest.approx(2 / 3)


def test_the_in_scope_macro_f1_leaves_out_the_out_of_scope_label_but_counts_in_scope_misses() -> None:
    from switchboard.nlu_eval.report import language_scores

    rows = [("a", "a"), ("a", "out_of_scope"), ("b", "b"), ("out_of_scope", "b"), ("out_of_scope", "out_of_scope")]
    results = [(_example(f"text {i}", gold), Prediction(predicted, 0.9, False)) for i, (gold, predicted) in enumerate(rows)]
    english = language_scores(results, 0.4, {})["en"]
    # a: P 1, R 1/2 -> 2/3; b: P 1, R 1 -> 1 (the out-of-scope row taken for b is not an in-scope row)
    assert english["in_scope_macro_f1"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)
    assert english["macro_f1"] == pytest.approx(macro_f1([g for g, _ in rows], [p for _, p in rows]), abs=1e-4)


def test_the_chosen_threshold_keeps_accuracy_within_a_point_of_the_best() -> None:
    curve = [OperatingPoint(0.0, 0.95, 0.3, 0.0), OperatingPoint(0.3, 0.945, 0.6, 0.01), OperatingPoint(0.5, 0.90, 0.9, 0.1)]
    assert choose_threshold(curve).threshold == 0.3


def test_the_page_shows_every_language_and_the_operating_point() -> None:
    point = {"threshold": 0.3, "in_scope_accuracy": 0.9, "out_of_scope_recall": 0.8, "in_scope_rejected": 0.05}
    languages = {lang: {"examples": 10, "macro_f1": 0.9, "in_scope_macro_f1": 0.91, "accuracy": 0.9, "fallback_rate": 0.1, "below_threshold": 0.1,
                        "entity_f1": 0.8, "entities": {"rating": 0.8}} for lang in ("en", "fr", "ro", "uk", "lt", "zh")}
    report = {"folds": 3, "seed": 1, "config": "config.yml", "configured_threshold": 0.3, "languages": languages,
              "confused_pairs": [{"gold": "faq/a", "predicted": "faq/b", "count": 2, "examples": ["[en] <b>x</b>"]}],
              "operating_curve": [point], "heldout_curve": [point], "chosen": point, "heldout_at_chosen": point,
              "heldout_at_configured": point, "heldout_size": 5, "heldout_wrong": [], "heatmap_png": "AAAA",
              "curve_png": "AAAA", "seconds": 1}
    page = render(report)
    assert all(f"<td>{lang}</td>" in page for lang in languages)
    assert "Chosen operating point: threshold 0.30" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page, "example sentences must be escaped"
    assert "held-out out-of-scope recall at 0.30: 0.800" in summary(report)


def test_the_configured_pipeline_trains_and_parses_in_process() -> None:
    examples = [
        *[_example(t, "greet") for t in ("hello", "hi there", "good morning", "hey", "hello again", "hi")],
        *[_example(t, "goodbye") for t in ("bye", "see you", "goodbye", "bye bye", "see you later", "farewell")],
    ]
    corpus = load_corpus()
    pipeline = InProcessPipeline(pipeline_config())
    try:
        pipeline.train(corpus.training_data(examples))
        parsed = pipeline.parse(["hello there", "bye for now"])
    finally:
        pipeline.close()
    assert [m.get("intent")["name"] for m in parsed] == ["greet", "goodbye"]


def test_the_configured_pipeline_learns_entities_from_the_annotated_examples() -> None:
    """The CRF trains only on examples some featurizer has featurized: without one it learns nothing."""
    corpus = load_corpus()
    annotated = [e for e in corpus.examples if e.message.get("entities")]
    others = [e for e in corpus.examples if not e.message.get("entities")][::20]
    pipeline = InProcessPipeline(pipeline_config())
    try:
        pipeline.train(corpus.training_data(annotated + others))
        parsed = pipeline.parse(["my date of birth is 14/06/1987", "I'd give you a four", "can we switch to french"])
    finally:
        pipeline.close()
    found = [{e["entity"] for e in message.get("entities") or []} for message in parsed]
    assert found == [{"date_of_birth"}, {"rating"}, {"language"}], found
