"""The NLU report the content team reads: ``make nlu-report`` → ``reports/nlu/index.html``.

The project's pipeline (``config.yml``, run in-process, see :mod:`.pipeline`) is
cross-validated over every language at once, as it serves them, and scored per language:

- macro-F1 and accuracy over full labels (``faq/<topic>`` included), and the in-scope
  macro-F1 (without the ``out_of_scope`` label and its examples), with the
  FallbackClassifier's decision undone as ``rasa test nlu`` does, and the fallback rate;
- entity F1 per entity type, over (entity, value) pairs: what fills a slot;
- a confusion heatmap of the most-confused labels, and the most-confused pairs with
  example sentences;
- the out-of-scope operating curve: for each confidence threshold, the in-scope accuracy
  (correct and not rejected) and the out-of-scope recall. The threshold is chosen on the
  cross-validated ``out_of_scope`` training examples, then checked on the held-out set in
  ``evaluation/out_of_scope_heldout.csv``, which is never trained on.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from switchboard import paths
from switchboard.languages import LANGUAGES
from switchboard.nlu_eval.dataset import OUT_OF_SCOPE, Corpus, Example, HeldOut, load_corpus, load_heldout_oos, stratified_folds
from switchboard.nlu_eval.pipeline import InProcessPipeline, pipeline_config, reading_cache_at_parse
from switchboard.nlu_eval.scores import (
    OperatingPoint, Prediction, accuracy, choose_threshold, entity_scores, gold_entities, macro_f1,
    operating_curve, prediction,
)

THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 20)]
HEATMAP_LABELS = 20
PAIRS_SHOWN = 15


def fallback_threshold(config: List[dict]) -> float:
    """The FallbackClassifier threshold configured in the pipeline."""
    for spec in config:
        if spec["name"] == "FallbackClassifier":
            return float(spec.get("threshold", 0.3))
    return 0.0


def cross_validate(
    corpus: Corpus, heldout: List[HeldOut], config: List[dict], k: int, seed: int
) -> Tuple[List[Tuple[Example, Prediction]], List[Tuple[HeldOut, Prediction]]]:
    """Out-of-fold predictions for every example, and each fold's predictions for the held-out set."""
    parts = stratified_folds(corpus.examples, k, seed)
    results: List[Tuple[Example, Prediction]] = []
    heldout_results: List[Tuple[HeldOut, Prediction]] = []
    for fold in range(k):
        started = time.monotonic()
        train = [example for index, part in enumerate(parts) if index != fold for example in part]
        pipeline = InProcessPipeline(config)
        try:
            pipeline.train(corpus.training_data(train))
            test = parts[fold]
            parsed = pipeline.parse([example.text for example in test] + [item.text for item in heldout])
        finally:
            pipeline.close()
        predictions = [prediction(message) for message in parsed]
        results += list(zip(test, predictions[: len(test)]))
        heldout_results += list(zip(heldout, predictions[len(test):]))
        print(f"fold {fold + 1}/{k}: {time.monotonic() - started:.0f} s", flush=True)
    return results, heldout_results


def language_scores(
    results: List[Tuple[Example, Prediction]], threshold: float, synonyms: Dict[str, str]
) -> Dict[str, dict]:
    """Macro-F1, accuracy, fallback rate and entity F1 per language."""
    scores = {}
    for language in LANGUAGES:
        rows = [(e, p) for e, p in results if e.language == language]
        gold = [e.label for e, _ in rows]
        predicted = [p.label for _, p in rows]
        in_scope = [(e.label, p.label) for e, p in rows if e.label != OUT_OF_SCOPE]
        entities = entity_scores([gold_entities(e.message, synonyms) for e, _ in rows], [p.entities for _, p in rows])
        scores[language] = {
            "examples": len(rows),
            "macro_f1": round(macro_f1(gold, predicted), 4),
            # The in-scope labels only, on the in-scope examples (an in-scope example taken
            # for out_of_scope is a miss): the figure the out-of-scope examples must not cost.
            "in_scope_macro_f1": round(macro_f1([g for g, _ in in_scope], [p for _, p in in_scope]), 4),
            "accuracy": round(accuracy(gold, predicted), 4),
            "fallback_rate": round(sum(p.fell_back for _, p in rows) / max(1, len(rows)), 4),
            "below_threshold": round(sum(p.confidence < threshold for _, p in rows) / max(1, len(rows)), 4),
            "entity_f1": round(entities["all"].f1, 4),
            "entities": {name: round(score.f1, 4) for name, score in entities.items() if name != "all"},
        }
    return scores


def confused_pairs(results: List[Tuple[Example, Prediction]]) -> List[dict]:
    """The most frequent (gold, predicted) confusions, each with example sentences."""
    examples: Dict[Tuple[str, str], List[str]] = defaultdict(list)
    for example, predicted in results:
        if example.label != predicted.label:
            examples[(example.label, predicted.label)].append(f"[{example.language}] {example.text}")
    ranked = sorted(examples.items(), key=lambda item: -len(item[1]))[:PAIRS_SHOWN]
    return [{"gold": g, "predicted": p, "count": len(texts), "examples": texts[:3]} for (g, p), texts in ranked]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap(results: List[Tuple[Example, Prediction]]) -> str:
    """A base64 PNG: the confusion matrix (row-normalised) of the most-confused labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    errors = Counter()
    for example, predicted in results:
        if example.label != predicted.label:
            errors[example.label] += 1
            errors[predicted.label] += 1
    labels = [label for label, _ in errors.most_common(HEATMAP_LABELS)]
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)))
    for example, predicted in results:
        if example.label in index and predicted.label in index:
            matrix[index[example.label], index[predicted.label]] += 1
    matrix = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
    figure, axis = plt.subplots(figsize=(9, 8))
    image = axis.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
    axis.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axis.set_yticks(range(len(labels)), labels, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("gold")
    axis.set_title(f"Confusions among the {len(labels)} most-confused labels (row share)")
    figure.colorbar(image, ax=axis, fraction=0.046)
    encoded = _png(figure)
    plt.close(figure)
    return encoded


def curve_plot(cv_curve: List[OperatingPoint], heldout_curve: List[OperatingPoint], chosen: float, configured: float) -> str:
    """A base64 PNG of the operating curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    x = [p.threshold for p in cv_curve]
    axis.plot(x, [p.in_scope_accuracy for p in cv_curve], label="in-scope accuracy (correct, not rejected)")
    axis.plot(x, [p.out_of_scope_recall for p in cv_curve], label="out-of-scope recall, cross-validated examples")
    if heldout_curve:
        axis.plot(x, [p.out_of_scope_recall for p in heldout_curve], "--", label="out-of-scope recall, held-out set")
    axis.axvline(chosen, color="black", linestyle=":", label=f"chosen threshold {chosen:.2f}")
    if configured != chosen:
        axis.axvline(configured, color="red", linestyle=":", label=f"configured threshold {configured:.2f}")
    axis.set_xlabel("confidence threshold (below it: rejected, the bot asks to rephrase)")
    axis.set_ylim(0, 1.02)
    axis.legend(fontsize=8, loc="lower left")
    encoded = _png(figure)
    plt.close(figure)
    return encoded


def build(k: int, seed: int, config_file: Path) -> dict:
    """Every figure of the report, as a JSON-ready dict (images as base64 PNG)."""
    started = time.monotonic()
    config = reading_cache_at_parse(pipeline_config(config_file))
    configured = fallback_threshold(config)
    corpus = load_corpus()
    heldout = load_heldout_oos()
    results, heldout_results = cross_validate(corpus, heldout, config, k, seed)
    in_scope = [(p, e.label) for e, p in results if e.label != OUT_OF_SCOPE]
    cv_oos = [p for e, p in results if e.label == OUT_OF_SCOPE]
    cv_curve = operating_curve(in_scope, cv_oos, THRESHOLDS)
    heldout_curve = operating_curve(in_scope, [p for _, p in heldout_results], THRESHOLDS) if heldout else []
    chosen = choose_threshold(cv_curve)
    at = {p.threshold: p for p in heldout_curve}
    return {
        "folds": k,
        "seed": seed,
        "config": str(config_file),
        "configured_threshold": configured,
        "languages": language_scores(results, configured, corpus.extras.entity_synonyms),
        "confused_pairs": confused_pairs(results),
        "operating_curve": [asdict(p) for p in cv_curve],
        "heldout_curve": [asdict(p) for p in heldout_curve],
        "chosen": asdict(chosen) if chosen else None,
        "heldout_at_chosen": asdict(at[chosen.threshold]) if chosen and chosen.threshold in at else None,
        "heldout_at_configured": asdict(at[round(configured, 3)]) if round(configured, 3) in at else None,
        "heldout_size": len(heldout),
        "heldout_wrong": [
            {"text": h.text, "language": h.language, "label": p.label, "confidence": round(p.confidence, 3)}
            for h, p in heldout_results if p.label != OUT_OF_SCOPE and p.confidence >= configured
        ][:30],
        "heatmap_png": heatmap(results),
        "curve_png": curve_plot(cv_curve, heldout_curve, chosen.threshold if chosen else configured, configured),
        "seconds": round(time.monotonic() - started),
    }


def render(report: dict) -> str:
    """The HTML page."""
    from jinja2 import Environment, PackageLoader

    environment = Environment(loader=PackageLoader("switchboard.nlu_eval", "templates"), autoescape=True)
    return environment.get_template("report.html.j2").render(report=report, languages=LANGUAGES)


def write(report: dict, out_dir: Path) -> Path:
    """``index.html`` and ``summary.json`` (without the images) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "index.html"
    page.write_text(render(report), encoding="utf-8")
    figures = {key: value for key, value in report.items() if not key.endswith("_png")}
    (out_dir / "summary.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    return page


def summary(report: dict) -> str:
    """The headline figures as text, for the terminal."""
    lines = [f"NLU report: {report['folds']}-fold cross-validation, {report['seconds']} s", "",
             "language  examples  macro-F1  in-scope  accuracy  fallback  entity-F1"]
    for language, s in report["languages"].items():
        lines.append(f"{language:8}  {s['examples']:8}  {s['macro_f1']:8.3f}  {s['in_scope_macro_f1']:8.3f}  {s['accuracy']:8.3f}  "
                     f"{s['fallback_rate']:8.3f}  {s['entity_f1']:9.3f}")
    chosen, held = report["chosen"], report["heldout_at_chosen"]
    if chosen:
        lines.append(f"\nchosen threshold {chosen['threshold']:.2f}: in-scope accuracy {chosen['in_scope_accuracy']:.3f}, "
                     f"out-of-scope recall {chosen['out_of_scope_recall']:.3f} (cross-validated)")
    if held:
        lines.append(f"held-out out-of-scope recall at {held['threshold']:.2f}: {held['out_of_scope_recall']:.3f} "
                     f"({report['heldout_size']} messages)")
    configured = report["heldout_at_configured"]
    if configured:
        lines.append(f"held-out out-of-scope recall at the configured {configured['threshold']:.2f}: "
                     f"{configured['out_of_scope_recall']:.3f}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--config", type=Path, default=paths.ROOT / "config.yml", help="pipeline to evaluate")
    parser.add_argument("--out", type=Path, default=paths.ROOT / "reports" / "nlu")
    args = parser.parse_args(argv)
    report = build(args.folds, args.seed, args.config)
    page = write(report, args.out)
    print(summary(report))
    print(f"\nReport: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
