"""Did a content change cost accuracy? ``make nlu-compare BASE=<git revision>``.

Cross-validates the same pipeline (``config.yml`` of this checkout) on the NLU data of
``BASE`` and on the data of this checkout, with the same folds method as the report, and
prints per language the in-scope macro-F1 (without the ``out_of_scope`` label and its
examples) and the macro-F1 over all labels, each averaged over several fold seeds: one
seed's split moves a language's figure by about a point on its own, more than most changes.
The base's data is read from git (``git archive``), so nothing in the checkout changes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from statistics import mean
from typing import Dict, List, Optional, Sequence

from switchboard import paths
from switchboard.languages import LANGUAGES

Figures = Dict[str, Dict[str, float]]  # language -> {"in_scope_macro_f1": ..., "macro_f1": ...}
KEYS = ("in_scope_macro_f1", "macro_f1")


def export_data(revision: str, destination: Path, repo: Path = paths.ROOT) -> Path:
    """``revision``'s ``data/`` folder under ``destination``; returns ``destination``."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision, "data"], cwd=repo, capture_output=True, check=True
        ).stdout
    except subprocess.CalledProcessError as failed:
        raise ValueError(f"cannot read data/ at {revision!r}: {failed.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def scores(root: Path, config_file: Path, seeds: Sequence[int], folds: int = 3) -> Figures:
    """Per-language figures of ``root``'s data, averaged over ``seeds``."""
    from switchboard.nlu_eval.dataset import load_corpus
    from switchboard.nlu_eval.pipeline import pipeline_config, reading_cache_at_parse
    from switchboard.nlu_eval.report import cross_validate, fallback_threshold, language_scores

    config = reading_cache_at_parse(pipeline_config(config_file))
    corpus = load_corpus(root)
    runs = []
    for seed in seeds:
        results, _ = cross_validate(corpus, [], config, folds, seed)
        runs.append(language_scores(results, fallback_threshold(config), corpus.extras.entity_synonyms))
    return {language: {key: mean(run[language][key] for run in runs) for key in KEYS} for language in LANGUAGES}


def table(base: Figures, head: Figures, base_name: str) -> str:
    """The comparison as aligned text, a line per language."""
    lines = [f"language  in-scope macro-F1 ({base_name} -> this checkout)   all labels",
             *[f"{language:8}  {base[language]['in_scope_macro_f1']:.4f} -> {head[language]['in_scope_macro_f1']:.4f} "
               f"({100 * (head[language]['in_scope_macro_f1'] - base[language]['in_scope_macro_f1']):+.2f})"
               f"           {base[language]['macro_f1']:.4f} -> {head[language]['macro_f1']:.4f} "
               f"({100 * (head[language]['macro_f1'] - base[language]['macro_f1']):+.2f})"
               for language in LANGUAGES]]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="git revision whose data/ is compared with this checkout's")
    parser.add_argument("--seeds", default="42,1,2", help="fold seeds to average over, comma-separated")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--config", type=Path, default=paths.ROOT / "config.yml", help="the pipeline, for both")
    args = parser.parse_args(argv)
    try:
        seeds = [int(seed) for seed in args.seeds.split(",") if seed.strip()]
    except ValueError:
        parser.error(f"--seeds takes whole numbers separated by commas, not {args.seeds!r}")
    with tempfile.TemporaryDirectory(prefix="nlu-compare-") as scratch:
        try:
            base_root = export_data(args.base, Path(scratch))
        except ValueError as exc:
            parser.error(str(exc))
        base = scores(base_root, args.config, seeds, args.folds)
    head = scores(paths.ROOT, args.config, seeds, args.folds)
    print(table(base, head, args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
