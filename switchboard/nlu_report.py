"""Per-language cross-validation of the NLU model: ``make nlu-report``.

One multilingual model is trained per fold on every language's training split (as in
production), then each language's held-out split is parsed and scored on its own. FAQ
questions are scored on their full label (``faq/<topic>``, from ``response_selector`` in the parse), so
the figure covers both intent classification and FAQ retrieval. As ``rasa test nlu`` does,
a ``FallbackClassifier`` prediction is undone before scoring (the figure measures the
classifier); how often the fallback would have asked the customer to rephrase is reported
beside it. Writes
``reports/nlu/summary.json`` and ``reports/nlu/summary.md``, and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from switchboard.languages import LANGUAGES
from switchboard import paths
from switchboard.train import training_env

Example = Tuple[str, str]  # (text, full intent)
CONFUSIONS_SHOWN = 5


def load_examples(language: str) -> List[Example]:
    """The annotated examples of one language, as plain text with their full intent."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(paths.ROOT / "data" / "nlu" / language))
    return [(m.get("text"), m.get("intent_response_key") or m.get("intent")) for m in data.intent_examples]


def folds(examples: List[Example], k: int, seed: int) -> List[List[Example]]:
    """Stratified folds: each intent's examples are dealt round-robin after a shuffle."""
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example[1]].append(example)
    result: List[List[Example]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        for index, item in enumerate(items):
            result[index % k].append(item)
    return result


def _write_nlu(path: Path, examples: List[Example], source_files: List[Path]) -> None:
    """Write training examples as Rasa YAML, keeping entity annotations from the source."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    wanted = {(text, intent) for text, intent in examples}
    kept = []
    regex_features = []
    for source in source_files:
        data = load_data(str(source))
        regex_features += data.regex_features
        kept += [m for m in data.intent_examples if (m.get("text"), m.get("intent_response_key") or m.get("intent")) in wanted]
    RasaYAMLWriter().dump(path, TrainingData(training_examples=kept, regex_features=regex_features))


def _macro_f1(gold: List[str], predicted: List[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0))


async def _parse_all(model: str, texts: List[str]) -> List[Tuple[str, bool]]:
    """(full predicted label, whether the fallback fired) for each text."""
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers.fallback_classifier import (
        is_fallback_classifier_prediction,
        undo_fallback_prediction,
    )

    agent = Agent.load(model)
    labels = []
    for text in texts:
        result = await agent.parse_message(text)
        fell_back = is_fallback_classifier_prediction(result)
        if fell_back:
            result = undo_fallback_prediction(result)
        intent = (result.get("intent") or {}).get("name") or ""
        if intent == "faq":
            selected = ((result.get("response_selector") or {}).get("faq") or {}).get("response") or {}
            intent = selected.get("intent_response_key") or intent
        labels.append((intent, fell_back))
    return labels


def run(
    k: int, seed: int, out_dir: Path, config: Path = paths.ROOT / "config.yml", only_folds: Optional[int] = None
) -> Dict[str, Dict[str, float]]:
    """Cross-validate ``config`` and return macro-F1 (and accuracy) per language."""
    import rasa.model_training

    os.environ.update(training_env())
    # Fold models must not crowd the shared training cache that `make train` relies on.
    fold_cache = tempfile.mkdtemp(prefix="nlu-cv-cache-")
    os.environ["RASA_CACHE_DIRECTORY"] = fold_cache
    per_language = {lang: folds(load_examples(lang), k, seed) for lang in LANGUAGES}
    gold: Dict[str, List[str]] = defaultdict(list)
    predicted: Dict[str, List[str]] = defaultdict(list)
    fallbacks: Dict[str, List[bool]] = defaultdict(list)
    sources = [paths.ROOT / "data" / "nlu" / lang for lang in LANGUAGES] + [paths.ROOT / "data" / "nlu" / "regex.yml"]
    for fold in range(min(k, only_folds or k)):
        started = time.monotonic()
        train = [ex for lang in LANGUAGES for i, part in enumerate(per_language[lang]) if i != fold for ex in part]
        with tempfile.TemporaryDirectory(prefix="nlu-cv-") as tmp:
            nlu_file = Path(tmp) / "nlu.yml"
            _write_nlu(nlu_file, train, sources)
            result = rasa.model_training.train_nlu(
                str(config), str(nlu_file), str(Path(tmp) / "models"),
                domain=str(paths.ROOT / "domain"),
            )
            model = result if isinstance(result, str) else getattr(result, "model", None)
            for lang in LANGUAGES:
                test = per_language[lang][fold]
                parsed = asyncio.run(_parse_all(model, [text for text, _ in test]))
                gold[lang] += [intent for _, intent in test]
                predicted[lang] += [label for label, _ in parsed]
                fallbacks[lang] += [fell_back for _, fell_back in parsed]
        print(f"fold {fold + 1}/{k} done in {time.monotonic() - started:.0f} s", flush=True)
    scores = {}
    for lang in LANGUAGES:
        pairs = list(zip(gold[lang], predicted[lang]))
        confusions = Counter((g, p) for g, p in pairs if g != p).most_common(CONFUSIONS_SHOWN)
        scores[lang] = {
            "macro_f1": round(_macro_f1(gold[lang], predicted[lang]), 4),
            "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
            "examples": len(pairs),
            "fallback_rate": round(sum(fallbacks[lang]) / len(pairs), 4),
            "top_confusions": [{"gold": g, "predicted": p, "count": n} for (g, p), n in confusions],
        }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps({"folds": k, "seed": seed, "languages": scores}, indent=2))
    return scores


def table(scores: Dict[str, Dict[str, float]], k: int) -> str:
    """A Markdown table of the figures."""
    lines = [f"NLU cross-validation, {k} folds, full intent labels (faq/<topic> included)", "",
             "| language | examples | macro-F1 | accuracy | fallback rate |", "|---|---|---|---|---|"]
    for lang, s in scores.items():
        lines.append(
            f"| {lang} | {s['examples']} | {s['macro_f1']:.3f} | {s['accuracy']:.3f} | {s['fallback_rate']:.3f} |"
        )
    lines += ["", "Fallback rate: the share of held-out messages the FallbackClassifier would answer with",
              "a request to rephrase (scored above as the classifier's own prediction, as `rasa test nlu` does).",
              "", "Most frequent confusions (gold -> predicted, count):"]
    for lang, s in scores.items():
        pairs = ", ".join(f"{c['gold']} -> {c['predicted']} ({c['count']})" for c in s["top_confusions"])
        lines.append(f"- {lang}: {pairs}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=str(paths.ROOT / "reports" / "nlu"))
    parser.add_argument("--config", default=str(paths.ROOT / "config.yml"), help="pipeline to evaluate")
    parser.add_argument("--only-folds", type=int, default=None,
                        help="run only the first N folds (quicker, for comparing pipelines)")
    args = parser.parse_args(argv)
    scores = run(args.folds, args.seed, Path(args.out), Path(args.config), args.only_folds)
    report = table(scores, args.folds)
    (Path(args.out) / "summary.md").write_text(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
