"""The benchmark says when its directory figures follow an earlier run's mass deletions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benchmarks import diskstate


@pytest.fixture
def stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "deleted"
    monkeypatch.setattr(diskstate, "STAMP", path)
    return path


def test_no_earlier_run_no_note(stamp: Path) -> None:
    assert diskstate.recent_deletion() is None


def test_a_deletion_inside_the_window_is_noted(stamp: Path) -> None:
    diskstate.note_deletion()
    note = diskstate.recent_deletion()
    assert note is not None and "wait 5 minutes" in note


def test_a_deletion_older_than_the_window_is_not(stamp: Path) -> None:
    diskstate.note_deletion()
    old = time.time() - diskstate.WINDOW - 1
    os.utime(stamp, (old, old))
    assert diskstate.recent_deletion() is None
