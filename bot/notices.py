"""The gateway's own customer-facing notices (queue, agent joined, out of hours), per language.

The texts live in ``content/gateway_messages.yml`` so content teams can change them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from switchboard.languages import load_texts, localized

NOTICES_FILE = Path(__file__).resolve().parent.parent / "content" / "gateway_messages.yml"


def load_notices() -> Dict[str, Dict[str, str]]:
    """Every notice by key, then by language."""
    return load_texts(NOTICES_FILE)


def notice(key: str, language: Optional[str], **values: object) -> str:
    """The notice ``key`` in ``language`` (English if missing), with ``values`` filled in."""
    return localized(NOTICES_FILE, key, language, **values)
