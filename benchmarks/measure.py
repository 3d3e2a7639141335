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
    timed_out: bool = False


def measure(cmd: Sequence[str], *, stdin: bytes | None = None,
            timeout: float | None = None) -> Run:
    """Run `cmd` to completion (or kill it after `timeout` s); stdout captured, stderr dropped."""
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
    killer = threading.Timer(timeout, proc.kill) if timeout else None
    if killer:
        killer.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    if feeder:
        feeder.join()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if killer:
        killer.cancel()
    timed_out = timeout is not None and seconds >= timeout and os.WIFSIGNALED(status)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out, timed_out)


def best_of(cmd: Sequence[str], runs: int = 5) -> float:
    """The fastest of `runs` wall times (for start-up figures)."""
    return min(measure(cmd).seconds for _ in range(runs))


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
