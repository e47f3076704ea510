"""Command line of the content checker (``make validate``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from switchboard import paths
from switchboard.validation import runner


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The options: where the content is, and which checks to run."""
    parser = argparse.ArgumentParser(
        prog="python -m switchboard.validation",
        description="Check the NLU data, domain, rules and test stories; exit 1 on any error.",
    )
    parser.add_argument("--root", type=Path, default=paths.ROOT, help="checkout to check (default: this one)")
    parser.add_argument("--skip-rasa", action="store_true", help="do not run `rasa data validate` (about a minute)")
    parser.add_argument(
        "--check",
        action="append",
        choices=runner.CHECK_NAMES,
        metavar="NAME",
        help=f"run only this check (repeatable): {', '.join(runner.CHECK_NAMES)}",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the checks, print the report, and return the exit status."""
    args = parse_args(argv)
    root = args.root.resolve()
    if not (root / "data").is_dir() or not (root / "domain").is_dir():
        print(f"{root}: no data/ and domain/ folders here; pass --root", file=sys.stderr)
        return 2

    def progress(name: str) -> None:
        print(f"running {name}...", file=sys.stderr, flush=True)

    results = runner.run_checks(root, skip_rasa=args.skip_rasa, only=args.check, progress=progress)
    print(runner.format_report(results))
    return runner.exit_status(results)
