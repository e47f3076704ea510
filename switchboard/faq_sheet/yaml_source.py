"""Read the FAQ YAML files, remembering where every value sits in the text.

The writer edits the files by replacing exact character spans (text surgery), so anything it
does not change (order, comments, quoting, blank lines) stays byte-identical. Spans come from
PyYAML's composer, whose nodes carry start and end positions in the text (counted in
characters, by libyaml's C composer too, which is used when installed: it is 20 times faster).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from switchboard.faq_sheet.model import (
    INTENT_PREFIX,
    RESPONSE_PREFIX,
    Entry,
    Faq,
    FaqShapeError,
    domain_path,
    nlu_path,
)
from switchboard.languages import DEFAULT_LANGUAGE, LANGUAGES
from switchboard.yaml_nodes import compose, mapping_get, scalar_under



@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of a file's text."""

    start: int
    end: int


@dataclass(frozen=True)
class ExamplesBlock:
    """The ``examples: |`` block of one ``faq/<topic>`` intent."""

    topic: str
    questions: Tuple[str, ...]
    span: Span  # the example lines, trailing blank lines excluded
    indent: str  # indentation of one example line


@dataclass
class NluFile:
    """``data/nlu/<language>/faq.yml``: the FAQ intents of one language."""

    language: str
    path: Path
    text: str
    blocks: Dict[str, ExamplesBlock] = field(default_factory=dict)
    end: int = 0  # where a new intent block is inserted: after the last item's last line
    item_column: int = 4  # column of ``intent:`` inside an item
    blank_between: bool = True  # a blank line separates the items


@dataclass(frozen=True)
class Variation:
    """One variation of a response: the answer in one language."""

    language: str
    text: str
    span: Span  # the ``text:`` value
    line: int


@dataclass
class Response:
    """``utter_faq/<topic>``: its variations by language, and where a new one goes."""

    topic: str
    variations: Dict[str, Variation]
    end: int


@dataclass
class DomainFile:
    """``domain/faq.yml``: the FAQ answers, with the layout new ones must follow."""

    path: Path
    text: str
    responses: Dict[str, Response] = field(default_factory=dict)
    end: int = 0  # where a new response is inserted: after the last FAQ response
    key_column: int = 2  # column of ``utter_faq/<topic>:``
    item_column: int = 6  # column of ``text:`` / ``condition:`` inside a variation
    condition_column: int = 12  # column of ``type:`` inside a condition
    blank_between: bool = True  # a blank line separates the responses


@dataclass
class FaqFiles:
    """The seven FAQ files of a checkout, as read."""

    domain: DomainFile
    nlu: Dict[str, NluFile]

    def topics(self) -> List[str]:
        """Every topic, in ``domain/faq.yml`` order, then topics only found in NLU files."""
        topics = list(self.domain.responses)
        for language in LANGUAGES:
            topics += [t for t in self.nlu[language].blocks if t not in topics]
        return topics

    def faq(self) -> Faq:
        """The content: every (topic, language) found in either file kind."""
        faq: Faq = {}
        for topic in self.topics():
            response = self.domain.responses.get(topic)
            entries: Dict[str, Entry] = {}
            for language in LANGUAGES:
                block = self.nlu[language].blocks.get(topic)
                variation = response.variations.get(language) if response else None
                if block or variation:
                    entries[language] = Entry(
                        questions=block.questions if block else (),
                        answer=variation.text if variation else None,
                    )
            faq[topic] = entries
        return faq

    def texts(self) -> Dict[Path, str]:
        """The text of every file, by path."""
        texts = {self.domain.path: self.domain.text}
        texts.update({nlu.path: nlu.text for nlu in self.nlu.values()})
        return texts


def read_faq_files(root: Path) -> FaqFiles:
    """Read ``domain/faq.yml`` and every language's ``faq.yml`` under ``root``."""
    return parse_faq_files(
        {domain_path(root): _read(domain_path(root))}
        | {nlu_path(root, lang): _read(nlu_path(root, lang)) for lang in LANGUAGES},
        root,
    )


def parse_faq_files(texts: Dict[Path, str], root: Path) -> FaqFiles:
    """Parse the seven files from their texts (the writer re-checks its output this way)."""
    nlu = {lang: parse_nlu(lang, nlu_path(root, lang), texts[nlu_path(root, lang)]) for lang in LANGUAGES}
    return FaqFiles(domain=parse_domain(domain_path(root), texts[domain_path(root)]), nlu=nlu)


def _read(path: Path) -> str:
    """A file's text; a missing file is a shape error."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise FaqShapeError(f"{path}: cannot read it ({error.strerror})") from error


# -- NLU files ---------------------------------------------------------------------------


def parse_nlu(language: str, path: Path, text: str) -> NluFile:
    """The FAQ intents of one language's ``faq.yml`` (other intents are ignored)."""
    items = _top_value(path, text, "nlu")
    if not isinstance(items, SequenceNode) or not items.value:
        raise FaqShapeError(f"{path}: `nlu:` must be a non-empty list of intents")
    nlu = NluFile(language=language, path=path, text=text)
    nlu.end = _after_last_line(text, items.end_mark.index)
    nlu.item_column = items.value[0].start_mark.column
    nlu.blank_between = _blank_between(text, items.value)
    for item in items.value:
        intent = scalar_under(item, "intent")
        if intent is None or not intent.value.startswith(INTENT_PREFIX):
            continue
        block = _examples_block(path, text, intent.value[len(INTENT_PREFIX):], item)
        if block.topic in nlu.blocks:
            raise FaqShapeError(f"{path}:{intent.start_mark.line + 1}: {intent.value} appears twice; merge the two blocks")
        nlu.blocks[block.topic] = block
    return nlu


def _examples_block(path: Path, text: str, topic: str, item: Node) -> ExamplesBlock:
    """The examples of one intent item, which must be a literal block of ``- question`` lines."""
    examples = mapping_get(item, "examples")
    where = f"{path}:{item.start_mark.line + 1}"
    if not isinstance(examples, ScalarNode) or examples.style != "|":
        raise FaqShapeError(f"{where}: the examples of faq/{topic} must be a literal block (`examples: |`)")
    start = text.index("\n", examples.start_mark.index) + 1
    end = max(start, _after_last_line(text, examples.end_mark.index))
    lines = text[start:end].splitlines()
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())] if lines else " " * (item.start_mark.column + 2)
    return ExamplesBlock(topic, _questions(where, topic, examples.value), Span(start, end), indent)


def _questions(where: str, topic: str, examples: str) -> Tuple[str, ...]:
    """The questions of an examples block: one ``- question`` per line."""
    questions = []
    for line in examples.splitlines():
        if not line.strip():
            continue
        if not line.startswith("-") or not line[1:].strip():
            raise FaqShapeError(f"{where}: faq/{topic} has an example line that is not `- question`: {line!r}")
        questions.append(line[1:].strip())
    return tuple(questions)


# -- domain ------------------------------------------------------------------------------


def parse_domain(path: Path, text: str) -> DomainFile:
    """The ``utter_faq/<topic>`` responses of ``domain/faq.yml`` (others are ignored)."""
    responses = _top_value(path, text, "responses")
    if not isinstance(responses, MappingNode):
        raise FaqShapeError(f"{path}: `responses:` must be a mapping")
    domain = DomainFile(path=path, text=text)
    faq_pairs = [(k, v) for k, v in responses.value if str(k.value).startswith(RESPONSE_PREFIX)]
    if not faq_pairs:
        raise FaqShapeError(f"{path}: no utter_faq/<topic> response to learn the layout from")
    domain.key_column = faq_pairs[0][0].start_mark.column
    domain.blank_between = _blank_between(text, [k for k, _ in faq_pairs])
    for key, variations in faq_pairs:
        topic = key.value[len(RESPONSE_PREFIX):]
        domain.responses[topic] = _response(domain, topic, variations)
    domain.end = _after_last_line(text, faq_pairs[-1][1].end_mark.index)
    return domain


def _response(domain: DomainFile, topic: str, node: Node) -> Response:
    """One response: a list of variations, at most one per language."""
    where = f"{domain.path}:{node.start_mark.line + 1}"
    if not isinstance(node, SequenceNode) or not node.value:
        raise FaqShapeError(f"{where}: utter_faq/{topic} must be a list of variations")
    domain.item_column = node.value[0].start_mark.column
    found: Dict[str, Variation] = {}
    for item in node.value:
        variation = _variation(domain, topic, item)
        if variation.language in found:
            raise FaqShapeError(
                f"{domain.path}:{variation.line}: utter_faq/{topic} has two {variation.language} variations "
                f"(lines {found[variation.language].line} and {variation.line}); the spreadsheet holds one "
                "answer per language, so merge them in the YAML first"
            )
        found[variation.language] = variation
    ordered = {lang: found[lang] for lang in LANGUAGES if lang in found}
    return Response(topic, ordered, _after_last_line(domain.text, node.end_mark.index))


def _variation(domain: DomainFile, topic: str, item: Node) -> Variation:
    """A variation: a ``text:`` and, except in English, a language condition."""
    line = item.start_mark.line + 1
    text = scalar_under(item, "text")
    if text is None:
        raise FaqShapeError(f"{domain.path}:{line}: a variation of utter_faq/{topic} has no `text:`")
    language = _condition_language(domain, topic, item)
    end = _after_last_char(domain.text, text.end_mark.index)
    return Variation(language, text.value, Span(text.start_mark.index, end), line)


def _condition_language(domain: DomainFile, topic: str, item: Node) -> str:
    """The language a variation is for: its ``language`` slot condition, or English without one."""
    condition = mapping_get(item, "condition")
    if condition is None:
        return DEFAULT_LANGUAGE
    where = f"{domain.path}:{condition.start_mark.line + 1}"
    checks = condition.value if isinstance(condition, SequenceNode) else []
    if len(checks) != 1 or not isinstance(checks[0], MappingNode):
        raise FaqShapeError(f"{where}: utter_faq/{topic}: a condition must be exactly one `language` slot check")
    fields = {str(k.value): v.value for k, v in checks[0].value if isinstance(v, ScalarNode)}
    if fields.get("type") != "slot" or fields.get("name") != "language" or fields.get("value") not in LANGUAGES:
        raise FaqShapeError(
            f"{where}: utter_faq/{topic}: only `type: slot, name: language, value: <one of "
            f"{', '.join(LANGUAGES)}>` conditions can go to the spreadsheet"
        )
    domain.condition_column = checks[0].start_mark.column
    return fields["value"]


# -- YAML helpers ------------------------------------------------------------------------


def _top_value(path: Path, text: str, key: str) -> Node:
    """The value of a top-level key of a YAML document."""
    try:
        document = compose(text)
    except yaml.YAMLError as error:
        raise FaqShapeError(f"{path}: not valid YAML: {error}") from error
    value = mapping_get(document, key) if document is not None else None
    if value is None:
        raise FaqShapeError(f"{path}: no top-level `{key}:`")
    return value


def _after_last_char(text: str, index: int) -> int:
    """Just after the last non-blank character before ``index`` (drops a block's trailing lines)."""
    while index > 0 and text[index - 1].isspace():
        index -= 1
    return index


def _after_last_line(text: str, index: int) -> int:
    """The start of the line after the last non-blank character before ``index``."""
    end = _after_last_char(text, index)
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _blank_between(text: str, nodes: List[Node]) -> bool:
    """Whether a blank line precedes the second node (the file's separator style)."""
    if len(nodes) < 2:
        return True
    line_start = text.rfind("\n", 0, nodes[1].start_mark.index) + 1
    previous_line_end = text.rfind("\n", 0, line_start - 1)
    return not text[previous_line_end + 1 : line_start - 1].strip()
