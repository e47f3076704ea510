"""``python -m switchboard.rasa_cli <rasa arguments>``: Rasa's command line with
:mod:`switchboard.rasa_speedups`, :mod:`components.turn_replay` and :mod:`components.rasa_lock`
applied first (the project trains and serves through it)."""

from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    """Apply the speed-ups, turn replay and the lock fix, then run ``rasa`` with ``argv`` (default: this command's arguments)."""
    from components import rasa_lock, turn_replay
    from switchboard import rasa_speedups

    rasa_speedups.apply()
    turn_replay.apply()
    rasa_lock.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
