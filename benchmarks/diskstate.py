"""Whether this run's file creation may be slowed by an earlier run's deletions.

On ext4 without a journal, an inode freed less than 60 s ago (300 s while its inode table
block is not yet written back) is skipped when a new one is allocated (`recently_deleted` in
fs/ext4/ialloc.c, Linux), so creating tens of thousands of files right after tens of
thousands were deleted costs several times the system time. The benchmarks that write trees
delete them at their end and leave a stamp; a later run that starts within that window says
so beside its directory figures instead of passing them off as the tool's cost.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

STAMP = Path(tempfile.gettempdir()) / "nim-gitops-bench-trees-deleted"
WINDOW = 300  # seconds: RECENTCY_DIRTY in fs/ext4/ialloc.c


def note_deletion() -> None:
    """Record that a benchmark has just deleted its output trees."""
    STAMP.touch()


def recent_deletion() -> str | None:
    """A line saying an earlier benchmark deleted its trees less than WINDOW seconds ago."""
    try:
        age = time.time() - STAMP.stat().st_mtime
    except OSError:
        return None
    if age >= WINDOW:
        return None
    return (f"note: an earlier benchmark deleted its output trees {age:.0f} s before this one "
            f"started; on ext4 without a journal, creating files within {WINDOW} s of mass "
            "deletions costs several times the system time (docs/performance.md), so the "
            "directory figures may read high: wait 5 minutes between runs")
