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

Two more habits cost a one-second `metadata generate` a twentieth of its CPU:

- when a command ends, its settings come back and the next allocation collected everything
  made since the last collection (6 ms after a metadata run, more after a larger young
  threshold): the process was about to end. Now what is alive when a command (or a stretch
  with other settings) ends is aged at once: frozen, and moved to the oldest generation when
  the command ends, so no young collection rescans it, and a caller that goes on frees its
  cycles in its next full collection;
- a run that waits on the network makes cycles at a steady rate (each finished request
  leaves about 100 objects, 17 KB with its answer's bytes, in cycles of httpx's response and
  stream and tenacity's retry state) while the objects it keeps are few. `few_collections`
  runs a young collection every 100,000 allocations there, so a 186-model run needs none,
  and a larger catalog's cycles are freed every few hundred requests (about 10 MB of them).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
NETWORK_YOUNG_THRESHOLD = 100_000  # the same while a run waits on the network


_commands: list[None] = []  # one item per `long_lived_output` running


def _freeze_survivors(phase: str, _info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


def _age_young(thresholds: tuple[int, int, int]) -> None:
    """Restore `thresholds` without a young collection of what is alive now: freeze it, and
    leave it frozen until the command ends, or outside a command move it to the oldest
    generation at once."""
    gc.freeze()
    gc.set_threshold(*thresholds)
    if not _commands:
        gc.unfreeze()


@contextmanager
def long_lived_output() -> Iterator[None]:
    """Collector settings for one command; the previous settings come back afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    gc.callbacks.append(_freeze_survivors)
    _commands.append(None)
    try:
        yield
    finally:
        _commands.pop()
        gc.callbacks.remove(_freeze_survivors)
        _age_young(thresholds)


@contextmanager
def few_collections(young: int = NETWORK_YOUNG_THRESHOLD) -> Iterator[None]:
    """A young collection every `young` allocations for a stretch that makes cycles at a
    bounded rate (a probe of NGC); what it leaves is aged when it ends (module docstring)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(young, *thresholds[1:])
    try:
        yield
    finally:
        _age_young(thresholds)
