"""How fast this host runs Python right now: a fixed loop, timed, printed beside the figures.

Shared hosts drift: the same `metadata generate` took 0.60 s and 0.77 s within an hour on one
machine with nothing else running in it, and its CPU time moved with it. A row that reads
slow next to a slow loop is the host, not a regression.
"""

from __future__ import annotations

import time

LOOP = 2_000_000


def loop_ms(runs: int = 3) -> float:
    """The best of `runs` timings of a fixed pure-Python loop, in milliseconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        total = 0
        for number in range(LOOP):
            total += number & 7
        best = min(best, time.perf_counter() - start)
    return best * 1000
