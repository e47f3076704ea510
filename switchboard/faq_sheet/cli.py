"""The two commands: ``export`` the FAQ to a CSV, ``import`` a CSV back into the YAML files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, TextIO

from switchboard import paths
from switchboard.faq_sheet.model import FaqShapeError, default_sheet_path
from switchboard.faq_sheet.plan import Plan, plan_import, unified_diff, write_plan
from switchboard.faq_sheet.sheet import read_sheet, write_sheet
from switchboard.faq_sheet.validate import validate
from switchboard.faq_sheet.yaml_source import read_faq_files

OK, INTERNAL_ERROR, INVALID = 0, 1, 2


def export_faq(root: Path = paths.ROOT, out: Optional[Path] = None, stdout: Optional[TextIO] = None) -> Path:
    """Write the FAQ of the checkout at ``root`` to ``out`` (default ``reports/faq.csv``)."""
    out = out or default_sheet_path(root)
    rows = write_sheet(read_faq_files(root).faq(), out)
    print(f"wrote {rows} rows to {out}", file=stdout or sys.stdout)
    return out


def import_faq(sheet_path: Path, root: Path = paths.ROOT, dry_run: bool = False,
               stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None) -> int:
    """Validate the sheet, show the change, write it unless ``dry_run``; return the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    files = read_faq_files(root)
    sheet = read_sheet(sheet_path)
    checked = validate(sheet.rows, files.faq())
    problems = sorted(sheet.problems + checked.problems, key=lambda problem: problem.line or 0)
    if problems:
        for problem in problems:
            print(problem.render(sheet_path), file=stderr)
        print(f"{len(problems)} error(s) in {sheet_path}; nothing was written", file=stderr)
        return INVALID
    plan = plan_import(files, checked.updates, root)
    _report(plan, checked.notes, files.texts(), root, stdout)
    if plan.texts and not dry_run:
        write_plan(plan)
    print(_outcome(plan, dry_run, root), file=stdout)
    return OK


def _report(plan: Plan, notes: List[str], old_texts: Dict[Path, str], root: Path, stdout: TextIO) -> None:
    """Print the per-topic summary, what is left untouched, and the unified diff."""
    for line in plan.summary:
        print(line, file=stdout)
    for note in notes:
        print(f"note: {note}", file=stdout)
    diff = unified_diff(plan, old_texts, root)
    if diff:
        print(diff, end="", file=stdout)


def _outcome(plan: Plan, dry_run: bool, root: Path) -> str:
    """The last line: what was (or would have been) written."""
    if not plan.texts:
        return "no changes: the YAML files already say what the sheet says"
    names = ", ".join(path.relative_to(root).as_posix() for path in plan.texts)
    return f"dry run, nothing written; would change {names}" if dry_run else f"wrote {names}"


def _parser() -> argparse.ArgumentParser:
    """``export [--out PATH]`` and ``import FILE [--dry-run]``, both with ``--root``."""
    parser = argparse.ArgumentParser(prog="python -m switchboard.faq_sheet", description=__doc__)
    parser.add_argument("--root", type=Path, default=paths.ROOT, help="checkout holding data/ and domain/")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the FAQ to one CSV")
    export.add_argument("--out", type=Path, help="CSV to write (default: reports/faq.csv under the root)")
    imported = commands.add_parser("import", help="validate a CSV and write it back to the YAML files")
    imported.add_argument("file", type=Path, help="the CSV to import")
    imported.add_argument("--dry-run", action="store_true", help="show the change, write nothing")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run one command; exit 0 on success, 2 on invalid input (sheet or YAML), 1 on an internal error."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "export":
            export_faq(args.root, args.out)
            return OK
        return import_faq(args.file, args.root, args.dry_run)
    except FaqShapeError as error:
        print(f"error: {error}", file=sys.stderr)
        return INVALID
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return INTERNAL_ERROR
