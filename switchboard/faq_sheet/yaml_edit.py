"""Text surgery on the FAQ YAML files: replace a span, or insert text after a block.

Only the spans of values that change are rewritten; a changed answer is written as a
double-quoted scalar on one line (the style every answer already uses), new blocks copy the
indentation and blank-line style read from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence

from switchboard.faq_sheet.model import INTENT_PREFIX, RESPONSE_PREFIX
from switchboard.faq_sheet.yaml_source import DomainFile, ExamplesBlock, NluFile, Response, Variation
from switchboard.languages import DEFAULT_LANGUAGE

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` by ``new`` (an insertion when ``start == end``)."""

    start: int
    end: int
    new: str


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit made; insertions at one place keep the order given."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))  # sorted() is stable
    pieces: List[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise ValueError(f"overlapping edits at character {edit.start}")
        pieces += [text[position : edit.start], edit.new]
        position = edit.end
    return "".join(pieces + [text[position:]])


def quote(value: str) -> str:
    """``value`` as a YAML double-quoted scalar on one line."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or char in "\u2028\u2029\ufeff":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _example_lines(questions: Sequence[str], indent: str) -> str:
    """The lines of an examples block, each ending with a newline."""
    return "".join(f"{indent}- {question}\n" for question in questions)


def _at_line_start(text: str, position: int) -> str:
    """A newline to put before an insertion at ``position`` if the line there is unfinished."""
    return "" if position == 0 or text[position - 1] == "\n" else "\n"


def replace_examples(nlu: NluFile, block: ExamplesBlock, questions: Sequence[str]) -> Edit:
    """Replace the example lines of one intent."""
    new = _example_lines(questions, block.indent)
    if not nlu.text[block.span.start : block.span.end].endswith("\n"):
        new = new[:-1]  # the block ended the file without a final newline
    return Edit(block.span.start, block.span.end, new)


def append_intents(nlu: NluFile, blocks: Dict[str, Sequence[str]]) -> Edit:
    """Insert new ``faq/<topic>`` intent blocks after the last item of ``nlu:``."""
    column = nlu.item_column
    blank = "\n" if nlu.blank_between else ""
    indent = next((b.indent for b in nlu.blocks.values()), " " * (column + 2))
    new = "".join(
        f"{blank}{' ' * (column - 2)}- intent: {INTENT_PREFIX}{topic}\n"
        f"{' ' * column}examples: |\n{_example_lines(questions, indent)}"
        for topic, questions in blocks.items()
    )
    return Edit(nlu.end, nlu.end, _at_line_start(nlu.text, nlu.end) + new)


def replace_answer(variation: Variation, answer: str) -> Edit:
    """Replace the ``text:`` value of one variation."""
    return Edit(variation.span.start, variation.span.end, quote(answer))


def _variation_lines(domain: DomainFile, language: str, answer: str) -> str:
    """One variation in the file's layout: English has no condition, others a language check."""
    dash = " " * (domain.item_column - 2)
    if language == DEFAULT_LANGUAGE:
        return f"{dash}- text: {quote(answer)}\n"
    inner, check = " " * domain.item_column, " " * domain.condition_column
    return (
        f"{dash}- condition:\n{check[:-2]}- type: slot\n{check}name: language\n"
        f"{check}value: {language}\n{inner}text: {quote(answer)}\n"
    )


def append_variations(domain: DomainFile, response: Response, answers: Dict[str, str]) -> Edit:
    """Insert variations for languages a response lacks, after its last variation."""
    new = "".join(_variation_lines(domain, language, answer) for language, answer in answers.items())
    return Edit(response.end, response.end, _at_line_start(domain.text, response.end) + new)


def append_responses(domain: DomainFile, responses: Dict[str, Dict[str, str]]) -> Edit:
    """Insert new ``utter_faq/<topic>`` responses after the last FAQ response."""
    blank = "\n" if domain.blank_between else ""
    new = "".join(
        f"{blank}{' ' * domain.key_column}{RESPONSE_PREFIX}{topic}:\n"
        + "".join(_variation_lines(domain, language, answer) for language, answer in answers.items())
        for topic, answers in responses.items()
    )
    return Edit(domain.end, domain.end, _at_line_start(domain.text, domain.end) + new)
