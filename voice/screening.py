"""Keeping unwanted calls from agents: blocked caller IDs, silent robocalls, DTMF floods."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Deque, FrozenSet, Iterable, Optional

import yaml

BLOCKLIST_FILE = Path(__file__).resolve().parent.parent / "content" / "voice_blocklist.yml"


def normalise_caller(caller_id: str) -> str:
    """Digits only, with a leading + kept: "+44 (20) 7946-0000" -> "+442079460000"."""
    caller_id = caller_id.strip()
    digits = "".join(c for c in caller_id if c.isdigit())
    return ("+" + digits) if caller_id.startswith("+") else digits


def load_blocklist(path: Path = BLOCKLIST_FILE, extra: Iterable[str] = ()) -> FrozenSet[str]:
    """The blocked caller IDs from the content file plus ``extra`` (normalised)."""
    numbers = list(extra)
    if path.is_file():
        numbers += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("blocked") or []
    return frozenset(normalise_caller(str(n)) for n in numbers if str(n).strip())


class DtmfFloodDetector:
    """More than ``max_digits`` key presses within ``window_s`` seconds is a flood."""

    def __init__(self, max_digits: int = 8, window_s: float = 2.0) -> None:
        self.max_digits = max_digits
        self.window_s = window_s
        self._presses: Deque[float] = deque()

    def press(self, now: Optional[float] = None) -> bool:
        """Record a key press; True when the presses now amount to a flood."""
        now = time.monotonic() if now is None else now
        self._presses.append(now)
        while self._presses and now - self._presses[0] > self.window_s:
            self._presses.popleft()
        return len(self._presses) > self.max_digits
