"""Check the sheet's rows against each other and against the FAQ files, before anything is written.

Rows that say what the files already say change nothing and are only checked for their
topic, language and uniqueness; the content checks apply to the rows that change something.
Every check reports all it finds, each at the line where the offending row starts, with how
to fix it. Checks that span topics (a question under two topics, placeholders that differ
from English) look at the FAQ as it would be after the import: the sheet's rows over the
files' content, so a question moved from one topic to another is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from switchboard.faq_sheet.model import TOPIC_PATTERN, Entry, Faq
from switchboard.faq_sheet.sheet import Problem, Row
from switchboard.languages import DEFAULT_LANGUAGE, LANGUAGES

PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Key = Tuple[str, str]  # (topic, language)


@dataclass
class Checked:
    """The outcome: the rows to apply (by topic, then language), problems, and notes."""

    updates: Faq = field(default_factory=dict)
    problems: List[Problem] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def validate(rows: List[Row], current: Faq) -> Checked:
    """Check ``rows`` against each other and the current FAQ; return what to apply."""
    checked = Checked()
    named = [row for row in rows if _check_names(row, checked.problems)]
    first = _first_rows(named, checked.problems)
    changed = {key: row for key, row in first.items() if not _unchanged(row, current)}
    for row in changed.values():
        _check_content(row, checked.problems)
    merged, lines = _merge(current, changed)
    _check_new_topics(current, changed, checked.problems)
    sheet_lines = {key: row.line for key, row in first.items()}
    _check_questions_across_topics(merged, lines, sheet_lines, checked.problems)
    _check_placeholders(merged, lines, checked.problems)
    checked.problems.sort(key=lambda problem: problem.line or 0)
    for (topic, language), row in changed.items():
        checked.updates.setdefault(topic, {})[language] = Entry(row.questions, row.answer)
    checked.notes = _untouched(current, first)
    return checked


def _check_names(row: Row, problems: List[Problem]) -> bool:
    """Whether the row's topic and language are valid (problems added when not)."""
    ok = True
    if not TOPIC_PATTERN.fullmatch(row.topic):
        ok = False
        if not row.topic:
            problems.append(Problem(row.line, "the topic cell is empty; write the topic name, e.g. opening_hours"))
        else:
            suggestion = re.sub(r"[^a-z0-9_]+", "_", row.topic.lower().removeprefix("faq/")).strip("_")
            problems.append(Problem(row.line, f"topic {row.topic!r} is not a valid name; use only lower-case "
                                              f"letters, digits and _ (e.g. {suggestion or 'opening_hours'})"))
    if row.language not in LANGUAGES:
        ok = False
        problems.append(Problem(row.line, f"unknown language {row.language!r}; use one of "
                                          f"{', '.join(LANGUAGES)} (lower-case)"))
    return ok


def _first_rows(rows: List[Row], problems: List[Problem]) -> Dict[Key, Row]:
    """The first row of each (topic, language); later ones are problems."""
    first: Dict[Key, Row] = {}
    for row in rows:
        key = (row.topic, row.language)
        if key in first:
            problems.append(Problem(row.line, f"second row for {row.topic}/{row.language} (the first is on line "
                                              f"{first[key].line}); keep one row per topic and language"))
        else:
            first[key] = row
    return first


def _unchanged(row: Row, current: Faq) -> bool:
    """Whether a row says what the files already say: such a row is never an error (a topic
    whose translation is still missing exports, and imports back, with an empty cell)."""
    entry = current.get(row.topic, {}).get(row.language)
    return entry is not None and entry.questions == row.questions and (entry.answer or "").strip() == row.answer


def _check_content(row: Row, problems: List[Problem]) -> None:
    """The row has both questions and an answer, no repeated question, no control character."""
    where = f"{row.topic}/{row.language}"
    if not row.questions and not row.answer:
        problems.append(Problem(row.line, f"{where} has neither questions nor an answer; fill them in, "
                                          "or delete the row to leave it as it is"))
    elif not row.answer:
        problems.append(Problem(row.line, f"{where} has questions but an empty answer; write the answer, "
                                          "or delete the row to leave it as it is"))
    elif not row.questions:
        problems.append(Problem(row.line, f"{where} has an answer but no questions; add example questions, "
                                          "one per line in the cell"))
    seen = set()
    for question in row.questions:
        if _normal(question) in seen:
            problems.append(Problem(row.line, f"question {question!r} appears twice in {where}; delete one"))
        seen.add(_normal(question))
    if any(CONTROL_CHARACTER.search(text) for text in (row.answer, *row.questions)):
        problems.append(Problem(row.line, f"{where} contains an invisible control character; retype the cell"))


def _check_new_topics(current: Faq, first: Dict[Key, Row], problems: List[Problem]) -> None:
    """A new topic needs an English row: English is the answer every language falls back to."""
    reported = set()
    for topic, _ in first:
        if topic not in current and (topic, DEFAULT_LANGUAGE) not in first and topic not in reported:
            reported.add(topic)
            line = min(row.line for (t, _), row in first.items() if t == topic)
            problems.append(Problem(line, f"new topic {topic} has no English (en) row; add one: the English "
                                          "answer is the one every language falls back to"))


def _merge(current: Faq, first: Dict[Key, Row]) -> Tuple[Faq, Dict[Key, int]]:
    """The FAQ after the import, and the sheet line each (topic, language) comes from."""
    merged: Faq = {topic: dict(entries) for topic, entries in current.items()}
    for (topic, language), row in first.items():
        merged.setdefault(topic, {})[language] = Entry(row.questions, row.answer or None)
    return merged, {key: row.line for key, row in first.items()}


def _check_questions_across_topics(merged: Faq, lines: Dict[Key, int], sheet_lines: Dict[Key, int],
                                   problems: List[Problem]) -> None:
    """In each language, a question belongs to one topic only (``lines``: the changing rows)."""
    for language in LANGUAGES:
        owner: Dict[str, str] = {}
        for topic, entries in merged.items():
            for question in entries.get(language, Entry()).questions:
                other = owner.setdefault(_normal(question), topic)
                if other != topic:
                    _report_shared_question(question, language, (other, topic), lines, sheet_lines, problems)


def _report_shared_question(question: str, language: str, topics: Tuple[str, str], lines: Dict[Key, int],
                            sheet_lines: Dict[Key, int], problems: List[Problem]) -> None:
    """Report a question found under two topics once, at the later changing row that has it."""
    first, second = topics
    line, other = (lines.get((second, language)), first)
    if line is None:
        line, other = (lines.get((first, language)), second)
    if line is None:
        return  # both from the YAML files: not the sheet's doing
    where = sheet_lines.get((other, language))
    elsewhere = f"line {where}" if where else f"data/nlu/{language}/faq.yml"
    problems.append(Problem(line, f"question {question!r} ({language}) is also under topic {other} "
                                  f"({elsewhere}); a question belongs to one topic only, delete it from one"))


def _check_placeholders(merged: Faq, lines: Dict[Key, int], problems: List[Problem]) -> None:
    """Each translation uses the same ``{placeholders}`` as the topic's English answer."""
    for topic, entries in merged.items():
        english = entries.get(DEFAULT_LANGUAGE, Entry()).answer
        if english is None:
            continue
        expected = _placeholders(english)
        for language, entry in entries.items():
            line = lines.get((topic, language)) or lines.get((topic, DEFAULT_LANGUAGE))
            if language == DEFAULT_LANGUAGE or entry.answer is None or line is None:
                continue
            found = _placeholders(entry.answer)
            if found != expected:
                problems.append(Problem(line, f"the {language} answer of {topic} has placeholders "
                                              f"{_show(found)} but the English answer has {_show(expected)}; use "
                                              "the same {…} placeholders as English (translate the words "
                                              "around them, not the names)"))


def _untouched(current: Faq, first: Dict[Key, Row]) -> List[str]:
    """Notes on what the sheet leaves as it is, and on new topics missing languages."""
    in_sheet: Dict[str, List[str]] = {}
    for topic, language in first:
        in_sheet.setdefault(topic, []).append(language)
    notes = []
    missing_topics = [topic for topic in current if topic not in in_sheet]
    if missing_topics:
        notes.append(f"not in the sheet, left as they are (delete topics in the YAML): {', '.join(missing_topics)}")
    for topic, languages in in_sheet.items():
        absent = [lang for lang in (current[topic] if topic in current else LANGUAGES) if lang not in languages]
        if absent and topic in current:
            notes.append(f"{topic}: no row for {', '.join(absent)}, left as it is")
        elif absent:
            notes.append(f"new topic {topic} has no row for {', '.join(absent)}: those customers get the "
                         "English answer, and that language has no example questions for it")
    return notes


def _normal(question: str) -> str:
    """A question compared without case or spacing differences."""
    return " ".join(question.split()).casefold()


def _placeholders(answer: str) -> List[str]:
    """The distinct placeholders of an answer, sorted."""
    return sorted(set(PLACEHOLDER.findall(answer)))


def _show(placeholders: List[str]) -> str:
    """Placeholders for a message."""
    return " ".join(placeholders) if placeholders else "none"

