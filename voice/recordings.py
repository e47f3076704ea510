"""Call recordings: caller and bot audio as WAV files per conversation, and their retention."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Dict

from voice import audio

logger = logging.getLogger(__name__)


def save_recording(folder: Path, caller: bytes, bot: bytes) -> Dict[str, str]:
    """Write ``caller.wav`` and ``bot.wav`` (16 kHz mono) into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"caller": folder / "caller.wav", "bot": folder / "bot.wav"}
    audio.write_wav(paths["caller"], caller)
    audio.write_wav(paths["bot"], bot)
    return {name: str(path) for name, path in paths.items()}


def purge_old_recordings(root: Path, retention_days: int, now: float | None = None) -> int:
    """Delete recording folders older than ``retention_days``; how many went."""
    if not root.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - retention_days * 86400
    removed = 0
    for folder in root.iterdir():
        try:
            old = folder.is_dir() and folder.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue  # another gateway instance sharing the data folder removed it first
        if old:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %d call recordings older than %d days", removed, retention_days)
    return removed
