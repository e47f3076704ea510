"""``python -m switchboard.bench_chat``: see :mod:`switchboard.bench_chat.run`."""

import sys

from switchboard.bench_chat.run import main

sys.exit(main(sys.argv[1:]))
