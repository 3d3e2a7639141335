"""Measuring a child process: wall time and its own peak resident memory (from wait4)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    """One measured process run."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: bytes


def measure(cmd: Sequence[str], *, stdin: bytes | None = None) -> Run:
    """Run `cmd` to completion; stdout is captured, stderr discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    feeder = None
    if stdin is not None and proc.stdin is not None:
        pipe = proc.stdin

        def feed() -> None:
            with pipe:
                pipe.write(stdin)

        feeder = threading.Thread(target=feed)
        feeder.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    if feeder:
        feeder.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode, out)


def best_of(cmd: Sequence[str], runs: int = 5) -> float:
    """The fastest of `runs` wall times (for start-up figures)."""
    return min(measure(cmd).seconds for _ in range(runs))


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
