"""How a run treats Python's cycle collector: collect the young, freeze the survivors.

A run may build much of its output before it writes anything (nothing is half-written):
hundreds of thousands of small dicts and lists that are acyclic and stay alive for long.
CPython's collector assumes the opposite, and two of its habits cost `render` of 10,000
projects x 5 deployments a fifth of its CPU when it still held every object (figures in
docs/performance.md; `render` now streams a project at a time, and `validate` and the
other commands still hold their inputs):

- a young collection every 700 allocations rescans the objects just built; here every
  10,000 (`YOUNG_THRESHOLD`);
- a full collection rescans the whole heap each time it has grown by a quarter: 6 of them
  took 5.4 s of a 26.8 s run at 10,000 x 5 and none at 1,000 x 5, so CPU grew 11.4-fold for 10
  times the input. Here whatever survives a collection is frozen (`gc.freeze`, which moves
  objects to a generation no collection scans), so each collection sees only what was made
  since the one before, and full collections find nothing to do.

Reference cycles still die young: Jinja makes one per rendered template (its Context and
Macro objects point at each other) and the next collection frees it. A cycle still in use
when a collection runs is frozen with the rest and stays until the command ends (at most one
template's worth per collection); frozen objects outside cycles are freed by reference
counting as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)


def _freeze_survivors(phase: str, _info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


@contextmanager
def long_lived_output() -> Iterator[None]:
    """Collector settings for one command; the previous settings come back afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    gc.callbacks.append(_freeze_survivors)
    try:
        yield
    finally:
        gc.callbacks.remove(_freeze_survivors)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
