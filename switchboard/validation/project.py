"""The project's content files, read once, with the line of every example, response and step.

PyYAML's composer gives each node its start position. NLU examples sit inside
``examples: |`` literal blocks, where line ``i`` of the block's value is line
``i + 1`` after the ``|`` indicator (a literal block keeps its lines one for one), so
each example gets the line an editor shows. Line numbers here are 1-based.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from switchboard.languages import DEFAULT_LANGUAGE, LANGUAGES
from switchboard.validation.findings import Location
from switchboard.yaml_nodes import compose, line_of, mapping_get, mapping_items, scalar, sequence_items

_STRIP_SYMBOLS = "\n\r "  # what Rasa strips around an example (rasa.shared.nlu.constants)
_SPACES = re.compile(r"\s+")
RETRIEVAL_SEPARATOR = "/"


def normalise(text: str) -> str:
    """The form two examples are compared in: case-folded, runs of whitespace made one space."""
    return _SPACES.sub(" ", text).strip().casefold()


class ContentFileError(Exception):
    """A content file that is not valid YAML, with where the parser stopped."""

    def __init__(self, where: Location, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class Entity:
    """An entity annotation, as offsets into the example's plain text."""

    start: int
    end: int
    entity: str
    value: str


@dataclass(frozen=True)
class Example:
    """One NLU training example and where it is written."""

    label: str  # intent, or ``faq/<topic>`` for a retrieval intent
    language: Optional[str]  # the ``data/nlu/<language>/`` folder; None outside one
    raw: str  # as written, entity annotations included
    text: str  # the plain text the model sees
    entities: Tuple[Entity, ...]
    where: Location

    @property
    def key(self) -> str:
        """The normalised text that exact-duplicate detection compares."""
        return normalise(self.text)


@dataclass(frozen=True)
class LabelBlock:
    """An ``- intent:`` item of an NLU file."""

    label: str
    language: Optional[str]
    where: Location


@dataclass(frozen=True)
class Variation:
    """One variation of a response: its language and text."""

    language: str
    text: str
    buttons: int
    where: Location


@dataclass(frozen=True)
class Response:
    """A response (``utter_*``) and its variations."""

    name: str
    variations: Tuple[Variation, ...]
    where: Location


@dataclass(frozen=True)
class Reference:
    """A name a rule or test story uses: ``kind`` is intent, action, form, slot or entity."""

    kind: str
    name: str
    where: Location


@dataclass
class Domain:
    """The domain merged over ``domain/*.yml``, each name with where it is declared."""

    intents: Dict[str, Location] = field(default_factory=dict)
    entities: Dict[str, Location] = field(default_factory=dict)
    slots: Dict[str, Location] = field(default_factory=dict)
    forms: Dict[str, Location] = field(default_factory=dict)
    form_slots: Dict[str, List[str]] = field(default_factory=dict)
    actions: Dict[str, Location] = field(default_factory=dict)
    responses: Dict[str, Response] = field(default_factory=dict)
    mapping_intents: Dict[str, Location] = field(default_factory=dict)  # intents named in slot mappings

    @property
    def retrieval_intents(self) -> Dict[str, List[str]]:
        """Retrieval intents (``faq``) and their topics, from ``utter_<intent>/<topic>`` responses."""
        found: Dict[str, List[str]] = {}
        for name in self.responses:
            if name.startswith("utter_") and RETRIEVAL_SEPARATOR in name:
                intent, topic = name[len("utter_") :].split(RETRIEVAL_SEPARATOR, 1)
                found.setdefault(intent, []).append(topic)
        return found


def _language_of(variation: Node) -> str:
    for condition in sequence_items(mapping_get(variation, "condition")):
        if scalar(mapping_get(condition, "name")) == "language":
            return scalar(mapping_get(condition, "value")) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _names(node: Optional[Node]) -> Iterator[Tuple[str, Node]]:
    """Names of a domain list (``- greet`` or ``- greet: {...}``) or mapping (``greet: {...}``)."""
    if isinstance(node, SequenceNode):
        for item in node.value:
            if isinstance(item, ScalarNode):
                yield str(item.value), item
            for key, _value in mapping_items(item):
                yield str(key.value), key
    for key, _value in mapping_items(node):
        yield str(key.value), key


def _mapping_intents(slot: Node) -> Iterator[Tuple[str, Node]]:
    for mapping in sequence_items(mapping_get(slot, "mappings")):
        intents = mapping_get(mapping, "intent")
        for node in sequence_items(intents) if isinstance(intents, SequenceNode) else [intents]:
            name = scalar(node)
            if name:
                yield name, node


class Project:
    """The content of one checkout (``root``): NLU data, domain, rules and test stories."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, with forward slashes, as findings show it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def compose(self, path: Path) -> Optional[Node]:
        """The node tree of one YAML file (None when empty); :class:`ContentFileError` if unreadable."""
        try:
            return compose(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as problem:
            mark = problem.problem_mark or problem.context_mark
            line = mark.line + 1 if mark is not None else 0
            detail = f"{problem.context or ''} {problem.problem or ''}".strip()
            raise ContentFileError(Location(self.relative(path), line), detail) from problem
        except (yaml.YAMLError, UnicodeDecodeError) as problem:
            raise ContentFileError(Location(self.relative(path)), str(problem)) from problem

    @property
    def content_files(self) -> List[Path]:
        """Every YAML file the checks read."""
        return [*self.nlu_files, *sorted((self.root / "domain").glob("*.yml")), *self.story_files]

    # NLU -----------------------------------------------------------------------------

    @cached_property
    def nlu_files(self) -> List[Path]:
        """``data/nlu/**/*.yml``, sorted."""
        return sorted((self.root / "data" / "nlu").rglob("*.yml"))

    def language_of_file(self, path: Path) -> Optional[str]:
        """The language of an NLU file: the name of its ``data/nlu/<language>/`` folder."""
        relative = path.resolve().relative_to((self.root / "data" / "nlu").resolve()).parts
        return relative[0] if len(relative) > 1 and relative[0] in LANGUAGES else None

    @cached_property
    def _nlu(self) -> Tuple[List[Example], List[LabelBlock], Dict[str, Location]]:
        examples: List[Example] = []
        blocks: List[LabelBlock] = []
        nlu_keys: Dict[str, Location] = {}
        for path in self.nlu_files:
            file = self.relative(path)
            language = self.language_of_file(path)
            root = self.compose(path)
            nlu = mapping_get(root, "nlu")
            for key, _value in mapping_items(root):
                if key.value == "nlu":
                    nlu_keys[file] = Location(file, line_of(key))
            for item in sequence_items(nlu):
                label = scalar(mapping_get(item, "intent"))
                if not label:
                    continue
                blocks.append(LabelBlock(label, language, Location(file, line_of(mapping_get(item, "intent")))))
                for raw, line in _example_lines(mapping_get(item, "examples")):
                    text, entities = parse_example(raw)
                    examples.append(Example(label, language, raw, text, entities, Location(file, line)))
        return examples, blocks, nlu_keys

    @property
    def examples(self) -> List[Example]:
        """Every intent example of ``data/nlu``, in file and line order."""
        return self._nlu[0]

    @property
    def label_blocks(self) -> List[LabelBlock]:
        """Every ``- intent:`` item of ``data/nlu``."""
        return self._nlu[1]

    @property
    def nlu_key_lines(self) -> Dict[str, Location]:
        """Where each NLU file's ``nlu:`` key is: the place to add a missing intent block."""
        return self._nlu[2]

    # Domain --------------------------------------------------------------------------

    @cached_property
    def domain(self) -> Domain:
        """``domain/*.yml`` merged, first declaration of each name kept."""
        domain = Domain()
        for path in sorted((self.root / "domain").glob("*.yml")):
            file = self.relative(path)
            root = self.compose(path)
            for section, target in (
                ("intents", domain.intents),
                ("entities", domain.entities),
                ("slots", domain.slots),
                ("forms", domain.forms),
                ("actions", domain.actions),
            ):
                for name, node in _names(mapping_get(root, section)):
                    target.setdefault(name, Location(file, line_of(node)))
            for form, body in mapping_items(mapping_get(root, "forms")):
                slots = [scalar(node) for node in sequence_items(mapping_get(body, "required_slots"))]
                domain.form_slots.setdefault(str(form.value), [slot for slot in slots if slot])
            for _slot, body in mapping_items(mapping_get(root, "slots")):
                for name, node in _mapping_intents(body):
                    domain.mapping_intents.setdefault(name, Location(file, line_of(node)))
            for key, value in mapping_items(mapping_get(root, "responses")):
                variations = []
                for variation in sequence_items(value):
                    text_node = mapping_get(variation, "text")
                    variations.append(
                        Variation(
                            language=_language_of(variation),
                            text=scalar(text_node) or "",
                            buttons=len(sequence_items(mapping_get(variation, "buttons"))),
                            where=Location(file, line_of(text_node if text_node is not None else variation)),
                        )
                    )
                name = str(key.value)
                domain.responses.setdefault(name, Response(name, tuple(variations), Location(file, line_of(key))))
        return domain

    # Rules and test stories ------------------------------------------------------------

    @cached_property
    def story_files(self) -> List[Path]:
        """``data/rules/*.yml``, ``data/stories/*.yml`` and ``tests/stories/*.yml``, sorted."""
        found: List[Path] = []
        for folder in ("data/rules", "data/stories", "tests/stories"):
            found.extend(sorted((self.root / folder).glob("*.yml")))
        return found

    @cached_property
    def references(self) -> List[Reference]:
        """Every intent, action, form, slot and entity named in rules and stories."""
        found: List[Reference] = []
        for path in self.story_files:
            file = self.relative(path)
            root = self.compose(path)
            for section in ("rules", "stories"):
                for item in sequence_items(mapping_get(root, section)):
                    for part in ("condition", "steps"):
                        for step in sequence_items(mapping_get(item, part)):
                            found.extend(_step_references(step, file))
        return found


def _example_lines(node: Optional[Node]) -> Iterator[Tuple[str, int]]:
    """Each example of an ``examples:`` value with its line, as Rasa reads them."""
    if isinstance(node, ScalarNode):
        literal = node.style == "|"
        first = line_of(node) + 1 if literal else line_of(node)
        for offset, line in enumerate(str(node.value).splitlines()):
            if line.startswith("-"):
                yield line[1:].strip(_STRIP_SYMBOLS), first + (offset if literal else 0)
    for item in sequence_items(node):  # the list form: ``- text: ...`` with metadata
        text_node = mapping_get(item, "text")
        text = scalar(text_node)
        if text is not None:
            yield text.strip(_STRIP_SYMBOLS), line_of(text_node)


def parse_example(raw: str) -> Tuple[str, Tuple[Entity, ...]]:
    """The plain text and entities of an example, parsed by Rasa's own entity parser."""
    from rasa.shared.nlu.training_data import entities_parser

    entities = tuple(
        Entity(int(entity["start"]), int(entity["end"]), str(entity["entity"]), str(entity.get("value", "")))
        for entity in entities_parser.find_entities_in_training_example(raw)
    )
    return entities_parser.replace_entities(raw), entities


_STEP_KINDS = {"intent": "intent", "action": "action", "active_loop": "form"}


def _step_references(step: Node, file: str) -> Iterator[Reference]:
    for key, value in mapping_items(step):
        kind = _STEP_KINDS.get(str(key.value))
        if kind:
            name = scalar(value)
            if name:
                yield Reference(kind, name, Location(file, line_of(value)))
        elif key.value == "slot_was_set":
            for item in sequence_items(value):
                if isinstance(item, ScalarNode):
                    yield Reference("slot", str(item.value), Location(file, line_of(item)))
                for slot, _slot_value in mapping_items(item):
                    yield Reference("slot", str(slot.value), Location(file, line_of(slot)))
        elif key.value == "or":
            for alternative in sequence_items(value):
                yield from _step_references(alternative, file)
        elif key.value == "entities":
            for item in sequence_items(value):
                if isinstance(item, ScalarNode):
                    yield Reference("entity", str(item.value), Location(file, line_of(item)))
                for entity, _entity_value in mapping_items(item):
                    yield Reference("entity", str(entity.value), Location(file, line_of(entity)))
        elif key.value == "user":
            text = scalar(value)
            if text:
                line = line_of(value) + (1 if value.style == "|" else 0)
                for entity in parse_example(text.strip(_STRIP_SYMBOLS))[1]:
                    yield Reference("entity", entity.entity, Location(file, line))
