"""The languages Switchboard serves, and texts kept per language in content files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

LANGUAGES = ("en", "fr", "ro", "uk", "lt", "zh")
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=8)
def load_texts(path: Path) -> Dict[str, Dict[str, str]]:
    """A content file of texts by key, then by language (read once per process)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def localized(path: Path, key: str, language: Optional[str], **values: object) -> str:
    """Text ``key`` of ``path`` in ``language`` (English if missing), placeholders filled."""
    texts = load_texts(path)[key]
    return texts.get(language or DEFAULT_LANGUAGE, texts[DEFAULT_LANGUAGE]).format(**values)
