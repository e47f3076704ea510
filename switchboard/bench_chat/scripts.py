"""The simulated customers' scripts, in the six languages, from the project's own examples.

A contact centre's chat traffic is mostly questions, some account requests behind an
identity check, and a few customers who ask for a person. The mix (:data:`MIX`):

- **faq**: a greeting, two questions on topics drawn at random from every FAQ topic, a
  goodbye (which starts the satisfaction survey);
- **identity**: a bill question, the account number, the date of birth (the identity form,
  checked against the customer store), a goodbye;
- **handoff**: a greeting, then asking for a person (a handoff is queued; the gateway says
  so, and nobody answers: agents are not simulated).

Texts are the NLU examples of each intent in the script's language, so greetings and
goodbyes repeat from customer to customer as they do in real traffic, while the questions
are spread over about 1,200 examples per language. The sample customers come from
``content/customers.yml``.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from switchboard import paths
from switchboard.languages import LANGUAGES
from switchboard.validation.project import Project

LONG_TURNS = 30
SCRIPTS_PER_LANGUAGE = 40


class Kind(str, enum.Enum):
    """What the customer came for."""

    FAQ = "faq"
    IDENTITY = "identity"
    HANDOFF = "handoff"


MIX: Dict[Kind, float] = {Kind.FAQ: 0.7, Kind.IDENTITY: 0.2, Kind.HANDOFF: 0.1}


@dataclass(frozen=True)
class Script:
    """A customer's turns in one language."""

    language: str
    turns: Sequence[str]
    kind: Kind = Kind.FAQ


class Examples:
    """The project's NLU examples by language and label, and its sample customers."""

    def __init__(self, root: Path = paths.ROOT) -> None:
        self._texts: Dict[tuple, List[str]] = {}
        for example in Project(root).examples:
            self._texts.setdefault((example.language, example.label), []).append(example.text)
        self.faq_labels = sorted({label for _, label in self._texts if label.startswith("faq/")})
        catalogue = yaml.safe_load((root / "content" / "customers.yml").read_text(encoding="utf-8"))
        self.customers = catalogue["customers"]

    def of(self, language: str, label: str) -> List[str]:
        """The plain texts of ``label``'s examples in ``language``, in file order."""
        texts = self._texts.get((language, label))
        if not texts:
            raise ValueError(f"no examples of {label} in data/nlu/{language}")
        return texts

    def faq_questions(self, language: str) -> List[str]:
        """Every FAQ question in ``language``."""
        return [text for label in self.faq_labels for text in self._texts.get((language, label), [])]


def _script(kind: Kind, language: str, examples: Examples, rng: random.Random) -> Script:
    def pick(label: str) -> str:
        return rng.choice(examples.of(language, label))

    if kind is Kind.FAQ:
        questions = examples.faq_questions(language)
        turns = [pick("greet"), rng.choice(questions), rng.choice(questions), pick("goodbye")]
    elif kind is Kind.IDENTITY:
        customer = rng.choice(examples.customers)
        turns = [pick("check_bill"), str(customer["account_number"]), str(customer["date_of_birth"]), pick("goodbye")]
    else:
        turns = [pick("greet"), pick("request_human")]
    return Script(language, turns, kind)


def scripts(root: Path = paths.ROOT, seed: int = 7, per_language: int = SCRIPTS_PER_LANGUAGE,
            mix: Optional[Dict[Kind, float]] = None) -> List[Script]:
    """``per_language`` scripts in every language, in ``mix`` (default :data:`MIX`)
    proportions, shuffled (seeded)."""
    examples, rng = Examples(root), random.Random(seed)
    result = []
    for language in LANGUAGES:
        for kind, share in (MIX if mix is None else mix).items():
            result.extend(_script(kind, language, examples, rng) for _ in range(round(per_language * share)))
    rng.shuffle(result)
    return result


def mean_turns(all_scripts: Sequence[Script]) -> float:
    """Turns per customer, on average (the open loop's arrival interval)."""
    return sum(len(script.turns) for script in all_scripts) / len(all_scripts)


def long_script(root: Path = paths.ROOT, language: str = "en") -> Script:
    """A 30-turn conversation: FAQ questions one after another."""
    examples = Examples(root)
    questions = examples.of(language, "faq/opening_hours") + examples.of(language, "faq/payment_methods")
    return Script(language, [questions[i % len(questions)] for i in range(LONG_TURNS)])
