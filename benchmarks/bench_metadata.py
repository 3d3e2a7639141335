"""`metadata generate` against the snapshot-backed NGC double with 100 ms latency per request.

The reference shell script fetched one model at a time; `--concurrency 1` reproduces that.
Both runs are whole `nim-gitops` processes (start-up included) and must write the same file.
Beside them: the latency bound (round trips at the default concurrency x latency), the
floor no client can beat. Medians of BENCH_RUNS interleaved runs.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import Run, measure, table
from tests.helpers import EU_LIST, FAKE_KEY
from tests.ngc_server import NgcServer

LATENCY = float(os.environ.get("BENCH_NGC_LATENCY", "0.1"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CLI = [sys.executable, "-m", "generator"]
TARGET_WALL, TARGET_SPEEDUP, TARGET_CPU = 1.5, 20.0, 0.6


def _generate(url: str, out: Path, *args: str) -> Run:
    cmd = [*CLI, "metadata", "generate", "--ngc-url", url, "-o", str(out), "--quiet",
           "--eu-restricted", str(EU_LIST), *args]
    saved = os.environ.get("NGC_API_KEY")
    os.environ["NGC_API_KEY"] = FAKE_KEY  # a fake key for the local double; the child inherits it
    try:
        run = measure(cmd)
    finally:
        if saved is None:
            del os.environ["NGC_API_KEY"]
        else:
            os.environ["NGC_API_KEY"] = saved
    assert run.returncode == 0, f"metadata generate {' '.join(args)} failed"
    return run


def run() -> None:
    """Print wall and client CPU one at a time and at the default concurrency, and the ratio."""
    from generator.ngc import NgcSettings

    default = NgcSettings().concurrency
    levels = sorted({1, 16, default})
    runs: dict[int, list[Run]] = {level: [] for level in levels}
    with NgcServer.from_snapshot(latency=LATENCY) as server, \
            tempfile.TemporaryDirectory() as tmp:
        outputs = set()
        for _ in range(RUNS):
            for level in levels:
                out = Path(tmp) / f"c{level}.yaml"
                args = () if level == default else ("--concurrency", str(level))
                before = server.count("")
                server.max_in_flight = 0
                runs[level].append(_generate(server.base_url, out, *args))
                requests, peak = server.count("") - before, server.max_in_flight
                outputs.add(out.read_bytes())
        assert len(outputs) == 1, "outputs differ"
    median = {level: sorted(done, key=lambda r: r.seconds)[len(done) // 2]
              for level, done in runs.items()}
    models = requests - 2  # key validation and one catalog page
    bound = (2 + math.ceil(models / default)) * LATENCY
    rows = [(f"{level}" + (" (default)" if level == default else
                           " (reference script)" if level == 1 else ""),
             f"{median[level].seconds:.2f}", f"{median[level].cpu:.2f}",
             f"{median[1].seconds / median[level].seconds:.1f}x") for level in levels]
    rows.append((f"latency bound at {default}", f"{bound:.2f}", "-",
                 f"{median[1].seconds / bound:.1f}x"))
    print(table(["concurrency", "wall s", "client CPU s", "speed-up"], rows))
    ours = median[default]
    speedup = median[1].seconds / ours.seconds
    print(f"\n{models} models, {requests} requests per run, {LATENCY * 1000:.0f} ms latency per "
          f"request, at most {peak} in flight at the default; all outputs byte-identical; "
          f"median of {RUNS}")
    verdicts = [ours.seconds <= TARGET_WALL, speedup >= TARGET_SPEEDUP, ours.cpu <= TARGET_CPU]
    print(f"targets: default run at most {TARGET_WALL} s ({ours.seconds:.2f}), at least "
          f"{TARGET_SPEEDUP:.0f}x one at a time ({speedup:.1f}x), client CPU at most "
          f"{TARGET_CPU} s ({ours.cpu:.2f}): {'met' if all(verdicts) else 'missed'}")
