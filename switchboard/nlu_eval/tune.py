"""Choose one classifier setting on the training data alone: ``make tune-nlu``.

A setting picked by its test-set score makes that score optimistic. Here a validation
share of each label is held out of ``--train`` (seeded, stratified), or with ``--folds K``
every training example is validated once by K-fold cross-validation (a 10% split of
BANKING77 is 1,000 messages, where one message is 0.1 point). The pipeline is trained once
per fold and candidate value of one ``MultilingualIntentClassifier`` setting, and the
value with the best validation accuracy (fallback undone, as published figures are) is
chosen; ties go to the smaller value. The test set is never read: score
the chosen value with ``make bench-nlu`` afterwards.

Validation texts come from the training file, so their embeddings are read from the
embedding cache when it holds them (nothing is written at parse time).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from switchboard import paths
from switchboard.nlu_eval.bench import OOS, Example, accuracy, predicted_label, read_examples, training_data

DEFAULT_OUT = paths.ROOT / "reports" / "tune-nlu.json"
CLASSIFIER = "components.intent_classifier.MultilingualIntentClassifier"


def validation_split(
    examples: Sequence[Example], share: float, seed: int = 42
) -> Tuple[List[Example], List[Example]]:
    """(train, validation): ``share`` of each label's examples (at least one, never all) held out."""
    if not 0 < share < 1:
        raise ValueError(f"the validation share must be between 0 and 1, not {share}")
    by_label: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        if example.label != OOS:
            by_label[example.label].append(example)
    rng = random.Random(seed)
    train: List[Example] = []
    validation: List[Example] = []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        held = min(len(items) - 1, max(1, math.ceil(round(len(items) * share, 9)))) if len(items) > 1 else 0
        validation += items[:held]
        train += items[held:]
    return train, validation


def with_setting(components: List[Dict[str, Any]], name: str, value: float) -> List[Dict[str, Any]]:
    """``components`` with the classifier's ``name`` set to ``value`` (and reading cached
    vectors of training texts at parse time)."""
    from components.intent_classifier import MultilingualIntentClassifier

    if not any(spec["name"] == CLASSIFIER for spec in components):
        raise ValueError(f"the pipeline has no {CLASSIFIER}")
    known = MultilingualIntentClassifier.get_default_config()
    if name not in known:
        raise ValueError(f"the classifier has no setting {name!r} (it has: {', '.join(sorted(known))})")
    return [
        {**spec, name: value, "read_cache_at_parse": True} if spec["name"] == CLASSIFIER else dict(spec)
        for spec in components
    ]


def choose(results: Dict[float, float]) -> float:
    """The value with the best score; the smallest such value on a tie."""
    best = max(results.values())
    return min(value for value, score in results.items() if score == best)


def label_folds(examples: Sequence[Example], k: int, seed: int = 42) -> List[List[Example]]:
    """``k`` disjoint parts of the in-scope examples, stratified by label (the report's folds)."""
    from switchboard.nlu_eval.dataset import stratified_folds

    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {k}")
    in_scope = [example for example in examples if example.label != OOS]
    return stratified_folds(in_scope, k, seed, key=lambda example: example.label)


def splits(
    examples: Sequence[Example], share: float, folds: int, seed: int
) -> List[Tuple[List[Example], List[Example]]]:
    """(train, validation) pairs: one split holding out ``share``, or ``folds``-fold cross-validation."""
    if folds <= 1:
        return [validation_split(examples, share, seed)]
    parts = label_folds(examples, folds, seed)
    return [([e for j, part in enumerate(parts) if j != i for e in part], parts[i]) for i in range(folds)]


def run(
    train_file: Path,
    config_file: Path,
    setting: str,
    values: Sequence[float],
    share: float = 0.1,
    seed: int = 42,
    wanted_column: Optional[str] = None,
    folds: int = 1,
) -> Dict[str, Any]:
    """Validation accuracy of each value of ``setting`` (pooled over the folds), and the chosen value."""
    from switchboard.nlu_eval.pipeline import InProcessPipeline, pipeline_config

    pairs = splits(read_examples(train_file, wanted_column), share, folds, seed)
    components = pipeline_config(config_file)
    scores: Dict[float, float] = {}
    seconds: Dict[float, float] = {}
    for value in values:
        started = time.perf_counter()
        gold: List[str] = []
        predicted: List[str] = []
        for train, validation in pairs:
            pipeline = InProcessPipeline(with_setting(components, setting, value))
            try:
                pipeline.train(training_data(train))
                parses = pipeline.parse([example.text for example in validation])
            finally:
                pipeline.close()
            gold += [example.label for example in validation]
            predicted += [predicted_label(p, undo_fallback=True) for p in parses]
        scores[value] = accuracy(gold, predicted) or 0.0
        seconds[value] = round(time.perf_counter() - started, 1)
        print(f"{setting}={value}: validation accuracy {scores[value] * 100:.2f}% ({seconds[value]:.0f} s)",
              file=sys.stderr, flush=True)
    return {
        "train_file": str(train_file),
        "config": str(config_file),
        "setting": setting,
        "folds": max(1, folds),
        "validation_share": share if folds <= 1 else round(1 / folds, 4),
        "seed": seed,
        "train_examples": len(pairs[0][0]),
        "validation_examples": sum(len(validation) for _, validation in pairs),
        "validation_accuracy": {str(value): score for value, score in scores.items()},
        "seconds": {str(value): s for value, s in seconds.items()},
        "chosen": choose(scores),
    }


def _values(text: str) -> List[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one value")
    return values


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, type=Path, help="training CSV (text, label columns)")
    parser.add_argument("--config", default=paths.ROOT / "config.yml", type=Path, help="Rasa config with the pipeline")
    parser.add_argument("--setting", default="minilm_weight", help="the classifier setting to choose")
    parser.add_argument("--values", required=True, type=_values, help="candidate values, comma-separated")
    parser.add_argument("--share", type=float, default=0.1, help="share of each label held out for validation")
    parser.add_argument("--folds", type=int, default=1,
                        help="K > 1: K-fold cross-validation over the training file instead of one --share split")
    parser.add_argument("--seed", type=int, default=42, help="seed of the validation split")
    parser.add_argument("--label-column", default=None, help="label column (default: label, category or intent)")
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path, help="JSON report")
    args = parser.parse_args(argv)
    try:
        result = run(args.train, args.config, args.setting, args.values, args.share, args.seed, args.label_column,
                     args.folds)
    except ValueError as exc:
        parser.error(str(exc))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    how = f"{result['folds']}-fold cross-validation" if result["folds"] > 1 else "one held-out split"
    print(f"{result['validation_examples']} validation examples of {args.train} ({how}; "
          f"{result['train_examples']} trained on per fit)")
    for value, score in result["validation_accuracy"].items():
        print(f"  {args.setting}={value:<6} {score * 100:.2f}%")
    print(f"chosen: {args.setting}={result['chosen']}   (written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
