"""Check (g): names used in rules, stories and NLU data exist in the domain.

Rules (``data/rules``) and test stories (``tests/stories``) name intents, actions,
forms (``active_loop``), slots (``slot_was_set``) and entities. A typo there trains a
rule that can never fire, or a test that fails for the wrong reason. Rules of thumb:
``utter_*`` must be a response (``utter_faq`` is the retrieval action answering the
``faq`` topics), ``action_*`` must be listed under the domain's ``actions``, an
``active_loop`` must be a form. NLU labels must be domain intents too.
"""

from __future__ import annotations

from typing import Dict, Iterator, Set, Tuple

from switchboard.validation.findings import CheckResult, error
from switchboard.validation.project import RETRIEVAL_SEPARATOR, Domain, LabelBlock, Project, Reference

NAME = "references"
TITLE = "Names used in rules, stories and NLU data but missing from the domain"


def _rasa_defaults() -> Tuple[Set[str], Set[str], Set[str]]:
    """Rasa's built-in actions, intents and slots, valid without being declared."""
    from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, DEFAULT_SLOT_NAMES

    return set(DEFAULT_ACTION_NAMES), set(DEFAULT_INTENTS), set(DEFAULT_SLOT_NAMES)


def _problem(reference: Reference, domain: Domain, topics: bool = True) -> Iterator[Tuple[str, str]]:
    """(message, fix) for a reference the domain does not define (nothing when it is fine).

    ``topics``: also require ``utter_<intent>/<topic>`` for a ``<intent>/<topic>`` intent.
    """
    actions, intents, slots = _rasa_defaults()
    name = reference.name
    if reference.kind == "intent":
        base = name.split(RETRIEVAL_SEPARATOR, 1)[0]
        if base not in domain.intents and base not in intents:
            yield (
                f"intent {name!r} is not in the domain",
                "add it under `intents:` in domain/core.yml, or fix the typo",
            )
        elif topics and RETRIEVAL_SEPARATOR in name and f"utter_{name}" not in domain.responses:
            yield f"topic {name!r} has no utter_{name} response", "fix the topic name or add the answer in domain/"
    elif reference.kind == "action":
        if name in actions or name in domain.forms or name in domain.actions or name in domain.responses:
            return
        if name.startswith("utter_"):
            if name[len("utter_") :] in domain.retrieval_intents:
                return
            yield (
                f"response {name!r} is not in the domain",
                "add the response (in every language) to domain/, or fix the typo",
            )
        elif name.startswith("action_") or name.startswith("validate_"):
            yield (
                f"action {name!r} is not listed under the domain's actions",
                "add it under `actions:` in domain/core.yml (and implement it in actions/), or fix the typo",
            )
        else:
            yield f"{name!r} is neither a response, an action nor a form", "fix the name"
    elif reference.kind == "form":
        if name not in domain.forms:
            yield (
                f"active_loop {name!r} is not a form",
                "declare the form under `forms:` in domain/core.yml, or fix the typo",
            )
    elif reference.kind == "slot":
        if name not in domain.slots and name not in slots:
            yield f"slot {name!r} is not in the domain", "declare it under `slots:` in domain/core.yml, or fix the typo"
    elif reference.kind == "entity":
        if name not in domain.entities:
            yield (
                f"entity {name!r} is not in the domain",
                "declare it under `entities:` in domain/core.yml, or fix the typo",
            )


def run(project: Project) -> CheckResult:
    """An error per undefined name, at the line that uses it."""
    result = CheckResult(NAME, TITLE)
    domain = project.domain
    uses = [(reference, "", True) for reference in project.references]
    first_blocks: Dict[str, LabelBlock] = {}
    for block in project.label_blocks:
        first_blocks.setdefault(block.label, block)  # a label is checked once, where it first appears
    uses += [(Reference("intent", label, block.where), "NLU label: ", False) for label, block in first_blocks.items()]
    uses += [
        (Reference("entity", entity.entity, example.where), f"annotated in {example.raw!r}: ", True)
        for example in project.examples for entity in example.entities
    ]
    for reference, context, topics in uses:
        for message, fix in _problem(reference, domain, topics):
            result.findings.append(error(NAME, reference.where, f"{context}{message}", fix))
    return result
