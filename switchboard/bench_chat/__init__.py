"""The chat load benchmark, ``make bench-chat``: see :mod:`switchboard.bench_chat.run`."""
