"""Benchmark the NLU pipeline on any labelled CSV: ``make bench-nlu TRAIN=... TEST=...``.

Trains ``config.yml``'s NLU pipeline (or ``--config``'s) in-process on a ``text,label``
CSV and scores it on another. Figures:

- ``accuracy`` and ``macro_f1`` over every test row, the pipeline as deployed: a row
  labelled ``oos`` is right when it is *caught* (top intent ``nlu_fallback``, from the
  FallbackClassifier, or ``out_of_scope``), any other row when the top intent is its label
  (so a fallback on an in-scope row is a miss);
- ``in_scope_accuracy``: the same, in-scope rows only; ``classifier_accuracy``: in-scope
  rows with the FallbackClassifier's prediction undone, as ``rasa test nlu`` scores and as
  published BANKING77 figures are (no rejection); ``fallback_rate``: in-scope rows caught;
- ``oos_recall`` where the test set has ``oos`` rows;
- training time, and the share of training texts already in the embedding cache before
  training (1.0: a warm cache, the time excludes embedding them);
- parse latency per message, p50 and p99 (a sample of 300 test texts, each parsed alone).

Labels become Rasa intent names (``[a-z0-9_]``). ``oos`` rows are never trained on: they
are dropped from the training file, and so is any training text that is an ``oos`` test
text. Writes the figures to ``reports/bench-nlu.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from switchboard import paths

OOS = "oos"
CAUGHT_INTENTS = ("nlu_fallback", "out_of_scope")
LABEL_COLUMNS = ("label", "category", "intent")
DEFAULT_OUT = paths.ROOT / "reports" / "bench-nlu.json"
_NOT_INTENT_CHARS = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class Example:
    """One labelled text; ``label`` is already a valid intent name (or ``oos``)."""

    text: str
    label: str


def sanitize_label(label: str) -> str:
    """A Rasa intent name for ``label``: lower case, runs of other characters as one ``_``."""
    name = _NOT_INTENT_CHARS.sub("_", label.strip().lower()).strip("_")
    return name or "unnamed"


def label_column(fieldnames: Sequence[str], wanted: Optional[str] = None) -> str:
    """The label column: ``wanted`` if given, else the first of label, category, intent present."""
    if wanted:
        if wanted not in fieldnames:
            raise ValueError(f"no column {wanted!r} (columns: {', '.join(fieldnames)})")
        return wanted
    for name in LABEL_COLUMNS:
        if name in fieldnames:
            return name
    raise ValueError(f"no label column: expected one of {', '.join(LABEL_COLUMNS)} (columns: {', '.join(fieldnames)})")


def read_examples(path: Path, wanted_column: Optional[str] = None) -> List[Example]:
    """The rows of a CSV with a ``text`` column and a label column; empty texts are skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        if "text" not in fields:
            raise ValueError(f"{path}: no 'text' column (columns: {', '.join(fields)})")
        column = label_column(fields, wanted_column)
        rows = [(row["text"] or "", row[column] or "") for row in reader]
    return [Example(text.strip(), sanitize_label(label)) for text, label in rows if text.strip() and label.strip()]


def stratified_subset(examples: Sequence[Example], limit: Optional[int], seed: int = 42) -> List[Example]:
    """At most ``limit`` examples, dealt label by label after a seeded shuffle (all if no limit)."""
    if not limit or limit >= len(examples):
        return list(examples)
    by_label: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    queues = []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        queues.append(items)
    dealt: List[Example] = []
    for rank in range(max(len(queue) for queue in queues)):
        dealt += [queue[rank] for queue in queues if rank < len(queue)]
    return dealt[:limit]


def split_for_training(train: Sequence[Example], test: Sequence[Example]) -> Tuple[List[Example], int]:
    """The training examples (no ``oos`` rows, no text of an ``oos`` test row) and how many were dropped."""
    oos_texts = {example.text for example in test if example.label == OOS}
    kept = [example for example in train if example.label != OOS and example.text not in oos_texts]
    return kept, len(train) - len(kept)


def training_data(examples: Iterable[Example]) -> Any:
    """Rasa training data with one intent example per row."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message(data={"text": example.text, "intent": example.label}) for example in examples]
    return TrainingData(training_examples=messages)


def classifier_settings(components: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The intent classifier's settings in a pipeline, defaults filled in ({} if it has none)."""
    from components.intent_classifier import MultilingualIntentClassifier

    for spec in components:
        if spec.get("name", "").endswith("MultilingualIntentClassifier"):
            return {**MultilingualIntentClassifier.get_default_config(), **spec}
    return {}


def cache_warm_share(components: List[Dict[str, Any]], texts: Sequence[str]) -> Optional[float]:
    """The share of (text, embedding model) pairs already cached; None if the pipeline embeds nothing."""
    from components.intent_classifier import embedding_caches

    caches = embedding_caches(classifier_settings(components))
    unique = list(dict.fromkeys(texts))
    if not caches or not unique:
        return None
    found = sum(len(cache.lookup(unique)) for cache in caches)
    return found / (len(unique) * len(caches))


def predicted_label(parsed: Any, undo_fallback: bool) -> str:
    """The top intent of a parse, ``oos`` when caught; with ``undo_fallback``, the classifier's own."""
    from rasa.nlu.classifiers.fallback_classifier import (
        is_fallback_classifier_prediction,
        undo_fallback_prediction,
    )

    result = parsed.as_dict()
    if undo_fallback and is_fallback_classifier_prediction(result):
        result = undo_fallback_prediction(result)
    intent = (result.get("intent") or {}).get("name") or ""
    return OOS if intent in CAUGHT_INTENTS and not undo_fallback else intent


def parse_one_by_one(pipeline: Any, texts: Sequence[str]) -> Tuple[List[Any], List[float]]:
    """Each text parsed alone: the parses and the seconds each took (after one untimed warm-up)."""
    if texts:
        pipeline.parse([texts[0]])
    parses, seconds = [], []
    for text in texts:
        started = time.perf_counter()
        parses += pipeline.parse([text])
        seconds.append(time.perf_counter() - started)
    return parses, seconds


def percentile_ms(seconds: Sequence[float], q: float) -> Optional[float]:
    """The ``q``-th percentile of ``seconds``, in milliseconds."""
    import numpy as np

    return round(float(np.percentile(seconds, q)) * 1000, 2) if seconds else None


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> Optional[float]:
    """The share of equal pairs (None when there are none)."""
    return round(sum(g == p for g, p in zip(gold, predicted)) / len(gold), 4) if gold else None


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> Optional[float]:
    """Macro-F1 over the gold labels."""
    from sklearn.metrics import f1_score

    if not gold:
        return None
    return round(float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0)), 4)


def scores(gold: Sequence[str], deployed: Sequence[str], classifier: Sequence[str]) -> Dict[str, Any]:
    """The accuracy figures of one test set (see the module docstring)."""
    in_scope = [i for i, label in enumerate(gold) if label != OOS]
    oos = [i for i, label in enumerate(gold) if label == OOS]
    figures: Dict[str, Any] = {
        "accuracy": accuracy(gold, deployed),
        "macro_f1": macro_f1(gold, deployed),
        "in_scope_accuracy": accuracy([gold[i] for i in in_scope], [deployed[i] for i in in_scope]),
        "classifier_accuracy": accuracy([gold[i] for i in in_scope], [classifier[i] for i in in_scope]),
        "classifier_macro_f1": macro_f1([gold[i] for i in in_scope], [classifier[i] for i in in_scope]),
        "fallback_rate": accuracy([OOS] * len(in_scope), [deployed[i] for i in in_scope]),
        "oos_examples": len(oos),
        "oos_recall": accuracy([OOS] * len(oos), [deployed[i] for i in oos]),
    }
    return figures


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(
    train_file: Path,
    test_file: Path,
    config_file: Path = paths.ROOT / "config.yml",
    wanted_column: Optional[str] = None,
    limit: Optional[int] = None,
    seed: int = 42,
    latency_sample: int = 300,
) -> Dict[str, Any]:
    """Train on ``train_file``, score on ``test_file``; the figures as a dict. Latency is
    timed on ``latency_sample`` test messages spread over the set, each parsed alone."""
    from switchboard.nlu_eval.pipeline import InProcessPipeline, pipeline_config

    train_rows = stratified_subset(read_examples(train_file, wanted_column), limit, seed)
    labels = {example.label for example in train_rows if example.label != OOS}
    # With --limit, test rows of labels left out of training would only measure the limit.
    test_rows = [e for e in read_examples(test_file, wanted_column) if e.label in labels or e.label == OOS]
    test = stratified_subset(test_rows, limit, seed)
    train, dropped = split_for_training(train_rows, test)
    components = pipeline_config(config_file)
    warm_share = cache_warm_share(components, [example.text for example in train])
    pipeline = InProcessPipeline(components)
    try:
        _progress(f"training on {len(train)} examples, {len(labels)} labels ...")
        started = time.perf_counter()
        pipeline.train(training_data(train))
        training_seconds = time.perf_counter() - started
        _progress(f"trained in {training_seconds:.0f} s; parsing {len(test)} test messages ...")
        texts = [example.text for example in test]
        parses = pipeline.parse(texts)  # in one batch, as the figures do not depend on it
        sample = texts[:: max(1, len(texts) // latency_sample)][:latency_sample]
        _progress(f"timing {len(sample)} of them parsed one at a time ...")
        _, seconds = parse_one_by_one(pipeline, sample)
    finally:
        pipeline.close()
    gold = [example.label for example in test]
    figures = scores(
        gold, [predicted_label(p, undo_fallback=False) for p in parses], [predicted_label(p, undo_fallback=True) for p in parses]
    )
    return {
        "train_file": str(train_file),
        "test_file": str(test_file),
        "config": str(config_file),
        "limit": limit,
        "train_examples": len(train),
        "train_rows_dropped_oos": dropped,
        "test_examples": len(test),
        "in_scope_test_examples": len(test) - figures["oos_examples"],
        "labels": len(labels),
        **figures,
        "training_seconds": round(training_seconds, 1),
        "cache_warm_share": None if warm_share is None else round(warm_share, 4),
        "latency_sample": len(seconds),
        "parse_p50_ms": percentile_ms(seconds, 50),
        "parse_p99_ms": percentile_ms(seconds, 99),
    }


def _percent(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def report(figures: Dict[str, Any]) -> str:
    """The figures as aligned text lines."""
    warm = figures["cache_warm_share"]
    cache = "no embeddings" if warm is None else f"{_percent(warm)} of training texts cached before training"
    lines = [
        f"examples          train {figures['train_examples']} (dropped {figures['train_rows_dropped_oos']} oos), "
        f"test {figures['test_examples']} ({figures['oos_examples']} oos)",
        f"labels            {figures['labels']}",
        f"accuracy          {_percent(figures['accuracy'])}",
        f"macro-F1          {_percent(figures['macro_f1'])}",
        f"in-scope accuracy {_percent(figures['in_scope_accuracy'])} "
        f"(fallback rate {_percent(figures['fallback_rate'])})",
        f"classifier acc.   {_percent(figures['classifier_accuracy'])} (fallback undone, as published figures), "
        f"macro-F1 {_percent(figures['classifier_macro_f1'])}",
    ]
    if figures["oos_examples"]:
        lines.append(f"oos recall        {_percent(figures['oos_recall'])} of {figures['oos_examples']} oos rows")
    lines += [
        f"training time     {figures['training_seconds']:.1f} s ({cache})",
        f"parse latency     p50 {figures['parse_p50_ms']} ms, p99 {figures['parse_p99_ms']} ms per message "
        f"({figures['latency_sample']} messages parsed alone)",
    ]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, type=Path, help="training CSV (text, label columns)")
    parser.add_argument("--test", required=True, type=Path, help="test CSV; rows labelled oos are out of scope")
    parser.add_argument("--label-column", default=None, help="label column (default: label, category or intent)")
    parser.add_argument("--config", default=paths.ROOT / "config.yml", type=Path, help="Rasa config with the pipeline")
    parser.add_argument("--limit", type=int, default=None, help="at most N train and N test rows, spread over labels")
    parser.add_argument("--seed", type=int, default=42, help="shuffle seed for --limit")
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path, help="JSON report")
    args = parser.parse_args(argv)
    figures = run(args.train, args.test, args.config, args.label_column, args.limit, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(report(figures))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
