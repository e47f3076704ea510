"""Turn validated sheet rows into new file texts, describe the change, and write it.

Only values that differ are rewritten. Before anything is written, the new texts are parsed
again and must give exactly the intended FAQ, so a layout the surgery mishandles stops the
import instead of damaging a file.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from switchboard.faq_sheet.model import Entry, Faq
from switchboard.faq_sheet.yaml_edit import (
    Edit,
    append_intents,
    append_responses,
    append_variations,
    apply_edits,
    replace_answer,
    replace_examples,
)
from switchboard.faq_sheet.yaml_source import FaqFiles, parse_faq_files
from switchboard.languages import LANGUAGES


@dataclass
class Plan:
    """The new text of each file that changes, and one line per changed (topic, language)."""

    texts: Dict[Path, str] = field(default_factory=dict)
    summary: List[str] = field(default_factory=list)


def plan_import(files: FaqFiles, updates: Faq, root: Path) -> Plan:
    """The files' new texts with ``updates`` applied; checked by parsing them back."""
    edits: Dict[Path, List[Edit]] = {}
    for language in LANGUAGES:
        edits[files.nlu[language].path] = _nlu_edits(files, language, updates)
    edits[files.domain.path] = _domain_edits(files, updates)
    plan = Plan(summary=_summary(files.faq(), updates))
    for path, text in files.texts().items():
        new = apply_edits(text, edits[path])
        if new != text:
            plan.texts[path] = new
    _verify(files, plan, updates, root)
    return plan


def _nlu_edits(files: FaqFiles, language: str, updates: Faq) -> List[Edit]:
    """Edits to one language's ``faq.yml``: changed example blocks, then new intents."""
    nlu = files.nlu[language]
    edits, new = [], {}
    for topic, entries in updates.items():
        entry = entries.get(language)
        block = nlu.blocks.get(topic)
        if entry is None:
            continue
        if block is None:
            new[topic] = entry.questions
        elif block.questions != entry.questions:
            edits.append(replace_examples(nlu, block, entry.questions))
    return edits + ([append_intents(nlu, new)] if new else [])


def _domain_edits(files: FaqFiles, updates: Faq) -> List[Edit]:
    """Edits to ``domain/faq.yml``: changed answers, missing variations, new responses."""
    domain = files.domain
    edits, new = [], {}
    for topic, entries in updates.items():
        response = domain.responses.get(topic)
        answers = {lang: entry.answer or "" for lang, entry in entries.items()}
        if response is None:
            new[topic] = {lang: answers[lang] for lang in LANGUAGES if lang in answers}
            continue
        added = {lang: answers[lang] for lang in LANGUAGES if lang in answers and lang not in response.variations}
        for language, variation in response.variations.items():
            if language in answers and variation.text.strip() != answers[language]:
                edits.append(replace_answer(variation, answers[language]))
        if added:
            edits.append(append_variations(domain, response, added))
    return edits + ([append_responses(domain, new)] if new else [])


def _expected(current: Faq, updates: Faq) -> Faq:
    """The FAQ the new files must hold (answers compared without outer spaces)."""
    expected: Faq = {topic: dict(entries) for topic, entries in current.items()}
    for topic, entries in updates.items():
        expected.setdefault(topic, {}).update(entries)
    return {
        topic: {lang: _trimmed(entries[lang]) for lang in LANGUAGES if lang in entries}
        for topic, entries in expected.items()
    }


def _trimmed(entry: Entry) -> Entry:
    """An entry with its answer stripped of outer spaces."""
    return Entry(entry.questions, entry.answer.strip() if entry.answer is not None else None)


def _verify(files: FaqFiles, plan: Plan, updates: Faq, root: Path) -> None:
    """Parse the new texts back; they must hold exactly the intended FAQ."""
    texts = files.texts() | plan.texts
    found = _expected(parse_faq_files(texts, root).faq(), {})
    expected = _expected(files.faq(), updates)
    if found != expected:
        wrong = [topic for topic in expected if found.get(topic) != expected[topic]]
        raise RuntimeError(f"internal error: the edited YAML would not hold the sheet's content for {wrong}; "
                           "nothing was written")


def _summary(current: Faq, updates: Faq) -> List[str]:
    """One line per (topic, language) the import changes."""
    lines = []
    for topic, entries in updates.items():
        if topic not in current:
            lines.append(f"faq/{topic}: new topic ({', '.join(entries)})")
            continue
        for language, entry in entries.items():
            change = _entry_change(current[topic].get(language), entry)
            if change:
                lines.append(f"faq/{topic} [{language}]: {change}")
    return lines


def _entry_change(old: Optional[Entry], new: Entry) -> str:
    """What differs between two entries, in words ('' when nothing does)."""
    if old is None:
        return "new language"
    changes = []
    if (old.answer or "").strip() != (new.answer or ""):
        changes.append("answer changed")
    added = [q for q in new.questions if q not in old.questions]
    removed = [q for q in old.questions if q not in new.questions]
    if added:
        changes.append(f"{len(added)} question(s) added")
    if removed:
        changes.append(f"{len(removed)} question(s) removed")
    if not added and not removed and old.questions != new.questions:
        changes.append("questions reordered")
    return ", ".join(changes)


def unified_diff(plan: Plan, old_texts: Dict[Path, str], root: Path) -> str:
    """A unified diff of every file that changes, paths relative to ``root``."""
    chunks = []
    for path, new in plan.texts.items():
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        chunks += difflib.unified_diff(
            old_texts[path].splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=f"a/{name}", tofile=f"b/{name}",
        )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def write_plan(plan: Plan) -> None:
    """Write every changed file (each replaced atomically: a crash leaves old or new, never half)."""
    for path, text in plan.texts.items():
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
