"""The gateway's own customer-facing notices (queue, agent joined, out of hours), per language.

The texts live in ``content/gateway_messages.yml`` so content teams can change them; this
module only picks the language and fills the placeholders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

NOTICES_FILE = Path(__file__).resolve().parent.parent / "content" / "gateway_messages.yml"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=4)
def load_notices(path: Path = NOTICES_FILE) -> Dict[str, Dict[str, str]]:
    """Every notice by key, then by language (read once per process)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def notice(key: str, language: Optional[str], **values: object) -> str:
    """The notice ``key`` in ``language`` (English if missing), with ``values`` filled in."""
    texts = load_notices()[key]
    return texts.get(language or DEFAULT_LANGUAGE, texts[DEFAULT_LANGUAGE]).format(**values)
