"""Choosing a classifier setting on a validation split of the training file (switchboard/nlu_eval/tune.py)."""

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from switchboard import paths
from switchboard.nlu_eval import tune
from switchboard.nlu_eval.bench import Example
from switchboard.nlu_eval.pipeline import pipeline_config
from tests.test_bench_nlu import TRAIN


def test_the_split_holds_out_a_share_of_every_label_and_never_a_whole_label() -> None:
    examples = [Example(f"text {label} {i}", label) for label, n in (("a", 20), ("b", 5), ("c", 1)) for i in range(n)]
    examples.append(Example("the weather", "oos"))
    train, validation = tune.validation_split(examples, 0.2, seed=3)
    assert Counter(e.label for e in validation) == {"a": 4, "b": 1}
    assert Counter(e.label for e in train) == {"a": 16, "b": 4, "c": 1}
    assert not {e.text for e in train} & {e.text for e in validation}
    assert tune.validation_split(examples, 0.2, seed=3) == (train, validation), "the split must be reproducible"


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.1])
def test_a_share_outside_zero_and_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        tune.validation_split([Example("x", "a"), Example("y", "a")], share)


def test_the_best_score_wins_and_a_tie_goes_to_the_smaller_value() -> None:
    assert tune.choose({0.0: 0.90, 1.5: 0.93, 3.0: 0.92}) == 1.5
    assert tune.choose({2.0: 0.93, 0.5: 0.93, 1.0: 0.91}) == 0.5


def test_an_unknown_setting_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(ValueError, match="no setting 'minilm_wieght'.*minilm_weight"):
        tune.with_setting(pipeline_config(paths.ROOT / "config.yml"), "minilm_wieght", 1.0)


def test_the_command_scores_each_value_on_held_out_training_rows(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SWITCHBOARD_EMBEDDING_CACHE", str(tmp_path / "embeddings.sqlite"))
    train_file = tmp_path / "train.csv"
    with train_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows((text, label) for label, texts in TRAIN.items() for text in texts)
    out = tmp_path / "tune.json"
    assert tune.main(["--train", str(train_file), "--setting", "embedding_weight", "--values", "0,3",
                      "--share", "0.25", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert (result["train_examples"], result["validation_examples"]) == (18, 6)
    assert set(result["validation_accuracy"]) == {"0.0", "3.0"}
    assert all(0 <= score <= 1 for score in result["validation_accuracy"].values())
    assert result["chosen"] == tune.choose({float(k): v for k, v in result["validation_accuracy"].items()})
    assert f"chosen: embedding_weight={result['chosen']}" in capsys.readouterr().out


def test_cross_validation_validates_every_example_once() -> None:
    examples = [Example(f"text {label} {i}", label) for label, n in (("a", 7), ("b", 5)) for i in range(n)]
    pairs = tune.splits(examples, 0.1, folds=3, seed=1)
    validated = [e for _, validation in pairs for e in validation]
    assert sorted(validated, key=lambda e: e.text) == sorted(examples, key=lambda e: e.text)
    for train, validation in pairs:
        assert not set(train) & set(validation) and len(train) + len(validation) == len(examples)
        assert {e.label for e in validation} == {"a", "b"}
    with pytest.raises(ValueError, match="at least 2 folds"):
        tune.label_folds(examples, 1)


def test_values_that_are_not_numbers_are_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        tune.main(["--train", "x.csv", "--values", "1,two"])
    assert exit_info.value.code == 2
    assert "expected numbers separated by commas" in capsys.readouterr().err
