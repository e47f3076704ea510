"""What one load run measured: per-turn latencies and errors, and their summary figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The ``q``-th percentile (0-100) by linear interpolation; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Run:
    """The turns of one load level: latency in seconds of each turn that succeeded, and errors."""

    name: str
    seconds: float = 0.0  # wall-clock length of the run
    latencies: List[float] = field(default_factory=list)
    errors: Dict[str, int] = field(default_factory=dict)
    cpu_seconds: Dict[str, float] = field(default_factory=dict)  # process name -> CPU seconds used

    def error(self, kind: str) -> None:
        """Count one failed turn of ``kind`` (an HTTP status, a timeout, a closed socket)."""
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def summary(self) -> Dict[str, object]:
        """Turns per second, latency percentiles in ms, errors, CPU seconds per turn by process."""
        turns = len(self.latencies)

        def ms(q: float) -> Optional[float]:
            value = percentile(self.latencies, q)
            return None if value is None else round(value * 1000, 1)

        return {
            "name": self.name,
            "turns": turns,
            "turns_per_second": round(turns / self.seconds, 2) if self.seconds else None,
            "p50_ms": ms(50),
            "p95_ms": ms(95),
            "p99_ms": ms(99),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "cpu_ms_per_turn": {name: round(1000 * s / turns, 1) for name, s in self.cpu_seconds.items()} if turns else {},
        }
