"""The NLU benchmark (switchboard/nlu_eval/bench.py): counts, scores and the JSON report agree."""

import csv
import json
from collections import Counter
from pathlib import Path
from typing import List, Tuple

import pytest

from switchboard.nlu_eval import bench

TRAIN = {
    "Card Arrival": [
        "my card has not arrived", "when will my new card come", "still waiting for my card",
        "card not delivered yet", "how long does the card take to arrive", "where is my card",
        "the card never showed up", "is my card on its way",
    ],
    "top-up failed": [
        "my top up failed", "top up did not work", "why was my top-up declined", "could not top up my account",
        "the top up keeps failing", "top up rejected", "adding money failed", "my transfer to top up was refused",
    ],
    "exchange_rate": [
        "what is the exchange rate", "how much is a euro in dollars", "which rate do you use for currency",
        "is the exchange rate fair", "exchange rate for pounds", "currency conversion rate",
        "how do you calculate exchange rates", "what rate will I get abroad",
    ],
}
TEST = [
    ("my card still has not come", "Card Arrival"), ("card delivery is late", "Card Arrival"),
    ("top up was declined again", "top-up failed"), ("I cannot top up", "top-up failed"),
    ("euro to dollar rate please", "exchange_rate"), ("what exchange rate applies", "exchange_rate"),
    ("what is the weather tomorrow", "oos"), ("tell me a joke about cats", "oos"), ("book me a flight to Paris", "oos"),
]


def _write(path: Path, rows: List[Tuple[str, str]], label_column: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", label_column])
        writer.writerows((index, text, label) for index, (text, label) in enumerate(rows))
    return path


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tuple[Path, Path]:
    monkeypatch.setenv("SWITCHBOARD_EMBEDDING_CACHE", str(tmp_path / "embeddings.sqlite"))
    train_rows = [(text, label) for label, texts in TRAIN.items() for text in texts]
    # An oos row in the training file and an oos test text repeated there: neither may be trained on.
    train_rows += [("what is the weather tomorrow", "oos"), ("tell me a joke about cats", "exchange_rate")]
    return _write(tmp_path / "train.csv", train_rows, "category"), _write(tmp_path / "test.csv", TEST, "category")


def test_the_report_counts_every_row_and_its_figures_agree_with_the_json(files, tmp_path: Path, capsys) -> None:
    train_file, test_file = files
    out = tmp_path / "reports" / "bench.json"
    assert bench.main(["--train", str(train_file), "--test", str(test_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    figures = json.loads(out.read_text(encoding="utf-8"))

    assert figures["train_examples"] == 24 and figures["train_rows_dropped_oos"] == 2
    assert figures["labels"] == 3
    assert figures["test_examples"] == 9 and figures["oos_examples"] == 3 and figures["in_scope_test_examples"] == 6
    for key in ("accuracy", "macro_f1", "in_scope_accuracy", "classifier_accuracy", "fallback_rate", "oos_recall"):
        assert 0.0 <= figures[key] <= 1.0, (key, figures[key])
    assert figures["oos_recall"] * 3 == pytest.approx(round(figures["oos_recall"] * 3), abs=1e-3)
    assert figures["in_scope_accuracy"] * 6 == pytest.approx(round(figures["in_scope_accuracy"] * 6), abs=1e-3)
    # Overall accuracy is the in-scope hits plus the caught oos rows, over all rows.
    hits = figures["in_scope_accuracy"] * 6 + figures["oos_recall"] * 3
    assert figures["accuracy"] == pytest.approx(hits / 9, abs=1e-3)
    assert figures["classifier_accuracy"] >= figures["in_scope_accuracy"]
    assert figures["cache_warm_share"] == 0.0, "the cache was empty before training"
    assert figures["training_seconds"] > 0 and 0 < figures["parse_p50_ms"] <= figures["parse_p99_ms"]
    assert f"{figures['accuracy'] * 100:.2f}%" in printed
    assert f"oos recall        {figures['oos_recall'] * 100:.2f}% of 3 oos rows" in printed
    assert "training time" in printed and "p99" in printed


def test_labels_become_intent_names_and_the_label_column_is_found() -> None:
    assert bench.sanitize_label("Top-up failed!") == "top_up_failed"
    assert bench.sanitize_label("  Card Arrival ") == "card_arrival"
    assert bench.sanitize_label("OOS") == "oos"
    assert bench.sanitize_label("???") == "unnamed"
    assert bench.label_column(["text", "category"]) == "category"
    assert bench.label_column(["text", "intent", "label"]) == "label"
    assert bench.label_column(["text", "topic"], "topic") == "topic"
    with pytest.raises(ValueError):
        bench.label_column(["text", "topic"])


def test_the_limited_subset_keeps_every_label_in_turn() -> None:
    examples = [bench.Example(f"{label} {i}", label) for label in "abc" for i in range(10)]
    subset = bench.stratified_subset(examples, 7)
    assert len(subset) == 7 and Counter(e.label for e in subset) == {"a": 3, "b": 2, "c": 2}
    assert bench.stratified_subset(examples, 7) == subset, "the subset is seeded"
    assert bench.stratified_subset(examples, None) == examples


def test_scores_of_a_known_prediction() -> None:
    gold = ["a", "a", "b", "oos", "oos"]
    deployed = ["a", "oos", "b", "oos", "a"]
    classifier = ["a", "b", "b", "x", "a"]
    figures = bench.scores(gold, deployed, classifier)
    assert figures["accuracy"] == 0.6 and figures["in_scope_accuracy"] == 0.6667
    assert figures["oos_recall"] == 0.5 and figures["fallback_rate"] == 0.3333
    assert figures["classifier_accuracy"] == 0.6667
