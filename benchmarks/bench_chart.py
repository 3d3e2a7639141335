"""Renderer vs chart: N projects x 5 deployments through `nim-gitops render` and through
`helm template` of the generated chart with the equivalent values (`nim-gitops values`), in
the same run, interleaved, median of BENCH_RUNS runs (by CPU time).

The target is CPU time: `render` at most `helm template`'s at 1,000 x 5 (aim: half), under
300 MB, and linear growth from 1,000 to 10,000 (helm runs up to BENCH_HELM_MAX projects).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import Run, median_of, table
from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CHART_SIZES", "1000,10000").split(","))
HELM_MAX = int(os.environ.get("BENCH_HELM_MAX", "1000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "generator"]
HELM = REPO / ".tools" / "bin" / "helm"
TARGET_MB = 300.0
STREAM, TREE, HELM_TEMPLATE = "nim-gitops render -o -", "nim-gitops render -o DIR", \
    "helm template"


def _interleaved(commands: dict[str, list[str]]) -> dict[str, Run]:
    """Each command once per round, RUNS rounds; the median run of each."""
    runs: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(RUNS):
        for label, cmd in commands.items():
            runs[label].append(median_of(cmd, runs=1, keep_stdout=False))
    return {label: sorted(done, key=lambda r: r.cpu)[len(done) // 2]
            for label, done in runs.items()}


def run() -> None:
    """Print CPU, wall and peak memory of render and helm template side by side."""
    have_helm = HELM.is_file()
    results: dict[tuple[str, int], Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chart = root / "chart"
        subprocess.run([*CLI, "chart", "-o", str(chart)], check=True, capture_output=True)
        for projects in SIZES:
            config = write_scale_config(root, projects)
            commands = {STREAM: [*CLI, "render", str(config), "-o", "-"]}
            if projects <= HELM_MAX:
                commands[TREE] = [*CLI, "render", str(config), "-o", str(root / "out")]
                if have_helm:
                    values = root / f"values-{projects}.yaml"
                    subprocess.run([*CLI, "values", str(config), "-o", str(values)], check=True)
                    commands[HELM_TEMPLATE] = [str(HELM), "template", "nim", str(chart), "-f",
                                               str(values)]
            for label, measured in _interleaved(commands).items():
                results[(label, projects)] = measured
    rows = [(label, f"{projects:,} x 5", f"{r.cpu:.2f}", f"{r.seconds:.2f}", f"{r.peak_mb:.0f}",
             f"{r.cpu / projects * 1000:.2f}") for (label, projects), r in results.items()]
    print(table(["way", "projects x deployments", "CPU s", "wall s", "peak RSS MB",
                 "CPU ms per project"], rows))
    print(f"\nmedian of {RUNS} interleaved runs; {os.cpu_count()} CPUs")
    _summary(results, have_helm)


def _summary(results: dict[tuple[str, int], Run], have_helm: bool) -> None:
    small = min(SIZES)
    ours = results[(STREAM, small)]
    if have_helm and (HELM_TEMPLATE, small) in results:
        helm = results[(HELM_TEMPLATE, small)]
        ratio = ours.cpu / helm.cpu
        print(f"{STREAM} / {HELM_TEMPLATE} at {small:,} x 5: {ratio:.2f}x the CPU "
              f"({'meets' if ratio <= 1 else 'misses'} 'at most helm's', "
              f"{'meets' if ratio <= 0.5 else 'misses'} the aim of half)")
    elif not have_helm:
        print(f"helm is missing ({HELM}): no comparison")
    print(f"peak RSS at {small:,} x 5: {ours.peak_mb:.0f} MB "
          f"({'under' if ours.peak_mb < TARGET_MB else 'over'} {TARGET_MB:.0f} MB)")
    big = max(SIZES)
    if big != small:
        large = results[(STREAM, big)]
        factor = big / small
        cpu, memory = large.cpu / ours.cpu, large.peak_mb / ours.peak_mb
        user = large.user / ours.user
        linear = cpu <= factor * 1.1 and memory <= factor * 1.1
        print(f"{small:,} -> {big:,} projects ({factor:.0f}x): CPU {cpu:.1f}x (user "
              f"{user:.1f}x, system {large.cpu - large.user:.1f} s against "
              f"{ours.cpu - ours.user:.1f} s), peak RSS {memory:.1f}x "
              f"({'linear' if linear else 'super-linear'})")
