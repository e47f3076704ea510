"""Check (h): words annotated as an entity in some examples of a label but not in others.

The entity extractor learns from every example: ``my [router](device) is dead`` teaches
that *router* is a device, and ``the router keeps rebooting`` under the same label teaches
that it is not. The model then extracts it sometimes, and a slot goes unfilled for no
reason the content editor can see. Within one language and one label, this check finds
the words (whole tokens, as the tokenizer splits them; case-folded) annotated as an entity
somewhere and left plain elsewhere, in an example that has no annotation of that entity.
(An example that already annotates the entity is skipped: ``[4](rating) out of 5``
names the rating once, and the scale's *5* is rightly plain.)

These are warnings: sometimes the plain word means something else (*mobile* in
*mobile data* is a service, not a device). Annotate it, or rephrase the example.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from switchboard.validation.entities import Span, tokenizer_options, tokens
from switchboard.validation.findings import CheckResult, warning
from switchboard.validation.project import Example, Project

NAME = "annotations"
TITLE = "Words annotated as an entity in some examples of a label but not in others"
Form = Tuple[str, ...]  # case-folded token texts


def _form(spans: List[Span], start: int, end: int) -> Form:
    """The case-folded tokens that lie within [start, end)."""
    return tuple(text.casefold() for s, e, text in spans if s >= start and e <= end)


def _occurrences(spans: List[Span], form: Form) -> List[Tuple[int, int]]:
    """Character ranges where the tokens of ``form`` occur one after another."""
    words = [text.casefold() for _s, _e, text in spans]
    size = len(form)
    return [
        (spans[i][0], spans[i + size - 1][1])
        for i in range(len(words) - size + 1)
        if tuple(words[i : i + size]) == form
    ]


def run(project: Project) -> CheckResult:
    """A warning per plain occurrence of a word the same label annotates elsewhere."""
    result = CheckResult(NAME, TITLE)
    options = tokenizer_options(project.root)
    spans: Dict[int, List[Span]] = {}
    # (language, label) -> (entity, form) -> the first example annotating it
    annotated: Dict[Tuple[Optional[str], str], Dict[Tuple[str, Form], Example]] = defaultdict(dict)
    for example in project.examples:
        spans[id(example)] = tokens(example.text, options)
        for entity in example.entities:
            form = _form(spans[id(example)], entity.start, entity.end)
            if form:
                annotated[(example.language, example.label)].setdefault((entity.entity, form), example)
    for example in project.examples:
        forms = annotated.get((example.language, example.label))
        if not forms:
            continue
        tagged = {entity.entity for entity in example.entities}
        for (entity, form), first in forms.items():
            if entity in tagged:
                continue
            for start, end in _occurrences(spans[id(example)], form):
                word = example.text[start:end]
                result.findings.append(
                    warning(
                        NAME,
                        example.where,
                        f"{word!r} in {example.raw!r} ({example.label}) is not annotated, but it is a "
                        f"{entity} entity in {first.raw!r} at {first.where}",
                        f"annotate it as [{word}]({entity}) if it means the same here, or rephrase the example",
                        related=(first.where,),
                    )
                )
    return result
