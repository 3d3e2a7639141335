"""Chart vs renderer: N projects x 5 deployments through `nim-gitops render` and through
`helm template` of the generated chart with the equivalent values, in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CHART_SIZES", "100,1000").split(","))
REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "generator"]
HELM = REPO / ".tools" / "bin" / "helm"
TARGET_SECONDS, TARGET_MB = 15.0, 500.0


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


def _measure(cmd: Sequence[str]) -> Run:
    """Wall time and the child's own peak RSS (wait4); fails loudly on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {err.decode()[-500:]}")
    return Run(seconds, usage.ru_maxrss / 1024)


def _row(label: str, run: Run, projects: int) -> list[str]:
    return [label, f"{projects} x 5", f"{run.seconds:.2f}", f"{run.peak_mb:.0f}",
            f"{run.seconds / projects * 1000:.2f}"]


def run() -> None:
    """Print wall time, peak memory, the render/helm ratio and the growth between sizes."""
    if not HELM.is_file():
        print(f"skipped: {HELM} is missing (run scripts/install-test-tools)")
        return
    rows: list[list[str]] = []
    results: dict[tuple[str, int], Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chart = root / "chart"
        subprocess.run([*CLI, "chart", "-o", str(chart)], check=True, capture_output=True)
        for projects in SIZES:
            config = write_scale_config(root, projects)
            values = root / f"values-{projects}.yaml"
            subprocess.run([*CLI, "values", str(config), "-o", str(values)], check=True)
            runs = {
                "nim-gitops render -o DIR": _measure(
                    [*CLI, "render", str(config), "-o", str(root / f"out-{projects}")]),
                "nim-gitops render -o -": _measure([*CLI, "render", str(config), "-o", "-"]),
                "helm template": _measure([str(HELM), "template", "nim", str(chart),
                                           "-f", str(values)]),
            }
            for label, measured in runs.items():
                results[(label, projects)] = measured
                rows.append(_row(label, measured, projects))
    print("| way | projects x deployments | wall s | peak RSS MB | ms per project |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    _summary(results)


def _summary(results: dict[tuple[str, int], Run]) -> None:
    big, small = max(SIZES), min(SIZES)
    helm = results[("helm template", big)]
    print()
    for label in ("nim-gitops render -o DIR", "nim-gitops render -o -"):
        ours = results[(label, big)]
        verdict = "meets" if ours.seconds <= helm.seconds else "misses"
        budget = ours.seconds < TARGET_SECONDS and ours.peak_mb < TARGET_MB
        print(f"{label} / helm template at {big} x 5: {ours.seconds / helm.seconds:.2f}x "
              f"({verdict} 'at least as fast as helm'); {'within' if budget else 'over'} "
              f"{TARGET_SECONDS:.0f} s / {TARGET_MB:.0f} MB")
    if big != small:
        factor = big / small
        for label in ("nim-gitops render -o DIR", "nim-gitops render -o -", "helm template"):
            growth = results[(label, big)].seconds / results[(label, small)].seconds
            print(f"{label}: {factor:.0f}x input -> {growth:.1f}x time "
                  f"({'linear' if growth <= factor * 1.1 else 'super-linear'})")
