"""Check (f): entity annotations line up with the tokenizer's tokens.

Entity extraction (DIET, CRFEntityExtractor) labels whole tokens. An annotation whose start or end falls
inside a token (Chinese ``[四](rating)星``, which jieba reads as the one word ``四星``),
or that includes characters the tokenizer drops (the final ``.`` of ``[3 червня 1957 р.]``),
cannot be learned: Rasa only warns about it during training ("Misaligned entity
annotation"), deep in the log. This check tokenizes every annotated example with the
project's own :class:`components.multilingual_tokenizer.MultilingualTokenizer` (jieba for
Chinese), configured as in ``config.yml``, and applies Rasa's rule: each entity must start
where a token starts and end where a token ends.
"""

from __future__ import annotations

import json
import logging
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, List, Tuple

import yaml

from switchboard.validation.findings import CheckResult, Finding, error
from switchboard.validation.project import Entity, Example, Project

NAME = "entities"
TITLE = "Entity annotations that do not align with tokens"
Span = Tuple[int, int, str]  # start, end, text
TOKENIZER = "components.multilingual_tokenizer.MultilingualTokenizer"


@lru_cache(maxsize=4)
def _tokenizer(options: str = "{}") -> Any:
    """The tokenizer, configured as ``options`` (JSON of its config.yml entry) over its defaults."""
    with warnings.catch_warnings():  # jieba imports pkg_resources, which warns it is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba

    from components.multilingual_tokenizer import MultilingualTokenizer

    jieba.setLogLevel(logging.WARNING)
    return MultilingualTokenizer({**MultilingualTokenizer.get_default_config(), **json.loads(options)})


def tokenizer_options(root: Path) -> str:
    """The tokenizer's options in ``root``'s ``config.yml`` (JSON; ``{}`` when absent)."""
    try:
        config = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return "{}"
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == TOKENIZER:
            return json.dumps({key: value for key, value in component.items() if key != "name"}, sort_keys=True)
    return "{}"


def tokens(text: str, options: str = "{}") -> List[Span]:
    """The tokens the model sees for ``text``: (start, end, text)."""
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    return [(token.start, token.end, token.text) for token in _tokenizer(options).tokenize(message, "text")]


def misaligned(example: Example, options: str = "{}") -> List[Tuple[Entity, List[Span]]]:
    """The example's entities that do not start and end on token boundaries, with the tokens."""
    spans = tokens(example.text, options)
    starts = {start for start, _end, _text in spans}
    ends = {end for _start, end, _text in spans}
    return [(entity, spans) for entity in example.entities if entity.start not in starts or entity.end not in ends]


def _advice(example: Example, entity: Entity, spans: List[Span]) -> Tuple[str, str]:
    """Why the entity is misaligned, and what to write instead."""
    text = example.text
    annotated = text[entity.start : entity.end]
    inside = [span for span in spans if span[0] < entity.end and span[1] > entity.start]
    if not inside:
        return (
            f"the tokenizer keeps no token of {annotated!r}",
            "rephrase so the entity is a word of its own (e.g. surrounded by spaces or "
            "punctuation the tokenizer keeps), or drop the annotation",
        )
    start, end = min(span[0] for span in inside), max(span[1] for span in inside)
    aligned = text[start:end]
    if start >= entity.start and end <= entity.end:
        dropped = (text[entity.start : start] + text[end : entity.end]).strip() or "whitespace"
        return (
            f"the annotation {annotated!r} includes {dropped!r}, which the tokenizer drops",
            f"annotate only {aligned!r}: move {dropped!r} outside the brackets",
        )
    words = " ".join(repr(span[2]) for span in inside)
    return (
        f"the annotation {annotated!r} cuts through the token(s) {words}",
        f"annotate the whole token(s) {aligned!r} (keep the value with "
        f'{{"entity": "{entity.entity}", "value": "{entity.value}"}}), or rephrase so '
        f"{annotated!r} stands alone",
    )


def findings_for(example: Example, options: str = "{}") -> List[Finding]:
    """One error per misaligned entity of ``example``."""
    found = []
    for entity, spans in misaligned(example, options):
        why, fix = _advice(example, entity, spans)
        token_list = ", ".join(repr(span[2]) for span in spans)
        found.append(
            error(
                NAME,
                example.where,
                f"{entity.entity} entity in {example.raw!r} ({example.label}) does not align with the "
                f"tokens [{token_list}]: {why}",
                fix,
            )
        )
    return found


def run(project: Project) -> CheckResult:
    """Every annotated example of ``data/nlu``."""
    result = CheckResult(NAME, TITLE)
    options = tokenizer_options(project.root)
    for example in project.examples:
        if example.entities:
            result.findings.extend(findings_for(example, options))
    return result


def misaligned_texts(project: Project) -> List[str]:
    """The plain texts this check reports (so Rasa's own warning about them can be dropped)."""
    options = tokenizer_options(project.root)
    return [example.text for example in project.examples if example.entities and misaligned(example, options)]
