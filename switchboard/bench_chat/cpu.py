"""CPU seconds used by a process and everything it started (Linux ``/proc``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(text: str) -> list:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return text[text.rindex(")") + 2 :].split()


def _cpu_seconds(fields: list) -> float:
    """utime, stime, and cutime, cstime: children that ended and were waited for."""
    return sum(int(value) for value in fields[11:15]) / _TICKS


def process_cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """User + system CPU seconds of one process and its ended, waited-for children (0 if gone)."""
    try:
        fields = _stat_fields((proc / str(pid) / "stat").read_text())
    except (OSError, ValueError):
        return 0.0
    return _cpu_seconds(fields)


def session_cpu_seconds(session_ids: Iterable[int], proc: Path = Path("/proc")) -> Dict[int, float]:
    """User + system CPU seconds of each session's processes (a service runs in its own
    session: its Python, its workers, and the children that have ended)."""
    wanted = set(session_ids)
    totals = {sid: 0.0 for sid in wanted}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields((entry / "stat").read_text())
        except (OSError, ValueError):
            continue  # the process ended while we looked
        session = int(fields[3])  # field 6 of stat; fields[0] is field 3 (state)
        if session in wanted:
            totals[session] += _cpu_seconds(fields)
    return totals
