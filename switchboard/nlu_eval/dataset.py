"""The project's NLU examples, by language, and the held-out out-of-scope set."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple, TypeVar

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from switchboard import paths
from switchboard.languages import LANGUAGES

OUT_OF_SCOPE = "out_of_scope"
HELDOUT_OOS = paths.ROOT / "evaluation" / "out_of_scope_heldout.csv"


@dataclass(frozen=True)
class Example:
    """One annotated training example."""

    message: Message
    language: str

    @property
    def text(self) -> str:
        return self.message.get("text")

    @property
    def label(self) -> str:
        """The full label: ``faq/<topic>`` for FAQ questions, else the intent."""
        return self.message.get("intent_response_key") or self.message.get("intent")


@dataclass(frozen=True)
class Corpus:
    """Every language's examples, and what the pipeline trains on besides them."""

    examples: List[Example]
    extras: TrainingData  # regexes, lookup tables and synonyms (data/nlu/regex.yml and the rest)

    def training_data(self, examples: List[Example]) -> TrainingData:
        """Training data of ``examples`` with the corpus' regexes, lookups and synonyms."""
        return TrainingData(
            training_examples=[example.message for example in examples],
            entity_synonyms=self.extras.entity_synonyms,
            regex_features=self.extras.regex_features,
            lookup_tables=self.extras.lookup_tables,
        )


def load_corpus(root: Path = paths.ROOT) -> Corpus:
    """The NLU examples of ``root/data/nlu/<language>`` and the shared regex file."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: List[Example] = []
    for language in LANGUAGES:
        data = load_data(str(root / "data" / "nlu" / language))
        examples += [Example(message, language) for message in data.intent_examples if message.get("text")]
    return Corpus(examples, load_data(str(root / "data" / "nlu")))


T = TypeVar("T")


def _language_and_label(example: Example) -> Tuple[str, str]:
    return example.language, example.label


def stratified_folds(
    examples: Sequence[T], k: int, seed: int, key: Callable[[T], Any] = _language_and_label
) -> List[List[T]]:
    """``k`` disjoint folds; each group's examples (by ``key``: language and label by default)
    are dealt round-robin after a seeded shuffle."""
    groups: Dict[Any, List[T]] = defaultdict(list)
    for example in examples:
        groups[key(example)].append(example)
    result: List[List[T]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    offset = 0
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        for index, item in enumerate(items):
            result[(index + offset) % k].append(item)
        offset += len(items)  # small groups do not all start in fold 0
    return result


@dataclass(frozen=True)
class HeldOut:
    """A held-out message that is out of scope."""

    text: str
    language: str


def load_heldout_oos(path: Path = HELDOUT_OOS) -> List[HeldOut]:
    """The held-out out-of-scope messages (never trained on), if the file is there."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [HeldOut(row["text"], row["language"]) for row in csv.DictReader(handle) if row.get("text")]
