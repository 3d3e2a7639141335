"""`metadata generate` against the snapshot-backed NGC double with 100 ms latency per request.

The reference shell script fetched one model at a time; `--concurrency 1` reproduces that.
Both runs are whole `nim-gitops` processes (start-up included) and must write the same file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import measure, table
from tests.helpers import EU_LIST, FAKE_KEY
from tests.ngc_server import NgcServer

LATENCY = float(os.environ.get("BENCH_NGC_LATENCY", "0.1"))
CLI = [sys.executable, "-m", "generator"]


def _generate(url: str, out: Path, *args: str) -> float:
    cmd = [*CLI, "metadata", "generate", "--ngc-url", url, "-o", str(out), "--quiet",
           "--eu-restricted", str(EU_LIST), *args]
    saved = os.environ.get("NGC_API_KEY")
    os.environ["NGC_API_KEY"] = FAKE_KEY  # the child inherits it; measure() takes no env
    try:
        run = measure(cmd)
    finally:
        if saved is None:
            del os.environ["NGC_API_KEY"]
        else:
            os.environ["NGC_API_KEY"] = saved
    assert run.returncode == 0, f"metadata generate {' '.join(args)} failed"
    return run.seconds


def run() -> None:
    """Print the wall time one at a time and with the default concurrency, and the ratio."""
    from generator.ngc import NgcSettings

    default = NgcSettings().concurrency
    levels = sorted({1, 16, default})
    times: dict[int, float] = {}
    with NgcServer.from_snapshot(latency=LATENCY) as server, \
            tempfile.TemporaryDirectory() as tmp:
        outputs = []
        for level in levels:
            out = Path(tmp) / f"c{level}.yaml"
            args = () if level == default else ("--concurrency", str(level))
            before = server.count("")
            server.max_in_flight = 0
            times[level] = _generate(server.base_url, out, *args)
            requests, peak = server.count("") - before, server.max_in_flight
            outputs.append(out.read_bytes())
        assert len(set(outputs)) == 1, "outputs differ"
    rows = [(f"{level}" + (" (default)" if level == default else
                           " (reference script)" if level == 1 else ""),
             f"{times[level]:.2f}", f"{times[1] / times[level]:.1f}x") for level in levels]
    print(table(["concurrency", "wall s", "speed-up"], rows))
    print(f"\n186 models, {requests} requests per run, {LATENCY * 1000:.0f} ms latency per "
          f"request, at most {peak} in flight at the default; all outputs byte-identical")
    print("targets: default run under 3 s and at least 10x faster than one at a time")
