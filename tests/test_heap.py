"""The collector settings of a run: survivors frozen, young cycles freed, settings restored."""

from __future__ import annotations

import gc

import pytest

from generator.heap import (
    NETWORK_YOUNG_THRESHOLD,
    YOUNG_THRESHOLD,
    few_collections,
    long_lived_output,
)


class Node:
    """An object in a reference cycle with itself."""

    freed = 0

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Node.freed += 1


def test_output_built_during_a_run_is_frozen_and_unfrozen_after() -> None:
    before = gc.get_threshold()
    with long_lived_output():
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        kept = [{"n": i} for i in range(5 * YOUNG_THRESHOLD)]
        assert gc.get_freeze_count() > 0  # full collections will not rescan them
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    assert len(kept) == 5 * YOUNG_THRESHOLD


def test_cycles_that_die_young_are_still_collected() -> None:
    Node.freed = 0
    made = 20 * YOUNG_THRESHOLD
    with long_lived_output():
        for _ in range(made):
            Node()  # garbage at once, like Jinja's Context/Macro pair after each render
        freed_inside = Node.freed
    gc.collect()
    # each collection may freeze the one cycle still being built; all others are freed
    assert freed_inside >= made - 100


def test_settings_come_back_when_the_command_fails() -> None:
    before = gc.get_threshold()
    callbacks = list(gc.callbacks)
    with pytest.raises(RuntimeError), long_lived_output():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
    assert gc.callbacks == callbacks
    assert gc.get_freeze_count() == 0


def _young(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(generation=0))


def test_what_a_command_leaves_is_not_rescanned_as_young() -> None:
    # the next young collection after a command must not walk everything the command kept:
    # in a process about to end that walk is wasted
    with long_lived_output():
        kept = [{"n": i} for i in range(100)]
        assert _young(kept)
    assert not _young(kept)
    assert any(o is kept for o in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_few_collections_settings_and_ageing() -> None:
    before = gc.get_threshold()
    with long_lived_output():
        with few_collections():
            assert gc.get_threshold()[0] == NETWORK_YOUNG_THRESHOLD
            kept = [{"n": i} for i in range(100)]
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert not _young(kept) and gc.get_freeze_count() > 0  # until the command ends
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with few_collections():  # outside a command nothing stays frozen
        kept = [{"n": i} for i in range(100)]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert not _young(kept)


def test_cycles_made_in_few_collections_are_freed() -> None:
    Node.freed = 0
    made = 3 * NETWORK_YOUNG_THRESHOLD
    with long_lived_output(), few_collections():
        for _ in range(made):
            Node()
        freed_inside = Node.freed
    # memory stays bounded: all but the last threshold's worth went during the stretch
    assert freed_inside >= made - NETWORK_YOUNG_THRESHOLD
