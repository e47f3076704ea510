"""The FAQ as the spreadsheet sees it: one entry per (topic, language), and where the files live."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

COLUMNS = ("topic", "language", "questions", "answer")
TOPIC_PATTERN = re.compile(r"[a-z0-9_]+")
INTENT_PREFIX = "faq/"
RESPONSE_PREFIX = "utter_faq/"


@dataclass(frozen=True)
class Entry:
    """One topic in one language: its example questions (file order) and its answer."""

    questions: Tuple[str, ...] = ()
    answer: Optional[str] = None


# topic -> language -> entry; dicts keep file order (topics) and LANGUAGES order (languages).
Faq = Dict[str, Dict[str, Entry]]


class FaqShapeError(Exception):
    """A FAQ YAML file cannot be read, or holds a shape the spreadsheet cannot represent."""


def domain_path(root: Path) -> Path:
    """The answers: ``domain/faq.yml``."""
    return root / "domain" / "faq.yml"


def nlu_path(root: Path, language: str) -> Path:
    """The example questions of one language: ``data/nlu/<language>/faq.yml``."""
    return root / "data" / "nlu" / language / "faq.yml"


def default_sheet_path(root: Path) -> Path:
    """Where ``export`` writes when no ``--out`` is given: ``reports/faq.csv``."""
    return root / "reports" / "faq.csv"
