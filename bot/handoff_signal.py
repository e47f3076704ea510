"""Recognise the handoff signal that Rasa's ``action_handoff`` sends among its replies."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

HANDOFF_KEY = "handoff"


def split_handoff(
    replies: Sequence[Dict[str, Any]],
) -> Tuple[List[Dict[str, Any]], Optional[Dict[str, Any]]]:
    """Separate the customer-visible replies from a handoff signal, if there is one."""
    visible: List[Dict[str, Any]] = []
    handoff: Optional[Dict[str, Any]] = None
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get(HANDOFF_KEY), dict):
            handoff = custom[HANDOFF_KEY]
            continue
        visible.append(reply)
    return visible, handoff
