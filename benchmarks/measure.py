"""Measuring a child process: wall time and its own peak resident memory (from wait4)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Run:
    """One measured process run."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: bytes
    timed_out: bool = False
    cpu: float = 0.0  # the child's user + system CPU seconds
    user: float = 0.0  # the child's user CPU seconds


def measure(cmd: Sequence[str], *, stdin: bytes | None = None,
            timeout: float | None = None, keep_stdout: bool = True,
            cwd: str | None = None) -> Run:
    """Run `cmd` (in `cwd`) to completion (or kill it after `timeout` s); stdout captured (or
    dropped), stderr dropped."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd,
                            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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
    out = b""
    if proc.stdout is not None:
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
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out, timed_out,
               usage.ru_utime + usage.ru_stime, usage.ru_utime)


def best_of(cmd: Sequence[str], runs: int = 5) -> float:
    """The fastest of `runs` wall times (for start-up figures)."""
    return min(measure(cmd).seconds for _ in range(runs))


def median_of(cmd: Sequence[str], runs: int = 3, **kwargs: Any) -> Run:
    """The run with the median CPU time of `runs` (each must exit 0)."""
    done = sorted((measure(cmd, **kwargs) for _ in range(runs)), key=lambda r: r.cpu)
    failed = [r for r in done if r.returncode != 0]
    if failed:
        raise RuntimeError(f"{' '.join(cmd[:4])} exited {failed[0].returncode}")
    return done[len(done) // 2]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
