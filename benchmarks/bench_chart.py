"""Render vs chart, the render rows of issue 26's table: N projects x 5 deployments (secrets
scope deployment: 27 files a project, 27,005 at 1,000) through `nim-gitops render -o -`,
`render -o DIR` (a fresh directory every run) and `helm template` of the generated chart with
the same values (`nim-gitops values`), in one run, interleaved; each figure is the median of
its runs (BENCH_RUNS rounds at the smallest size, BENCH_BIG_RUNS at larger ones).

Sizes: BENCH_CHART_SIZES (default 1000,10000); helm runs up to BENCH_HELM_MAX projects.
BENCH_BEFORE names a checkout of an earlier nim-gitops (its directory) whose two render ways
run beside, for before-and-after figures in the same conditions.

Output trees are deleted only at the end: on ext4, files created within minutes of mass
deletions cost several times more system time (the allocator skips recently freed inodes).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.diskstate import note_deletion, recent_deletion
from benchmarks.measure import Run, measure, table
from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CHART_SIZES", "1000,10000").split(","))
HELM_MAX = int(os.environ.get("BENCH_HELM_MAX", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
BIG_RUNS = int(os.environ.get("BENCH_BIG_RUNS", "1"))
BEFORE = os.environ.get("BENCH_BEFORE")
REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "generator"]
HELM = REPO / ".tools" / "bin" / "helm"
SCOPE = "deployment"
FILES_PER_PROJECT = 27
STREAM, TREE, HELM_TEMPLATE = "nim-gitops render -o -", "nim-gitops render -o DIR", \
    "helm template"
OLD = "before: "
# issue 26's goals: (way, projects) -> (figure, limit, unit); `x` is a ratio to helm template
GOALS = {
    (STREAM, 1000): [("cpu", 0.35, "x"), ("peak_mb", 150.0, "MB")],
    (TREE, 1000): [("seconds", 4.0, "s")],
    (TREE, 10000): [("seconds", 40.0, "s"), ("peak_mb", 400.0, "MB")],
}
FIGURE_NAMES = {"cpu": "CPU", "seconds": "wall", "peak_mb": "peak RSS"}


def _median(runs: list[Run]) -> Run:
    """Each figure's median over `runs` (figures taken one by one)."""
    def mid(values: list[float]) -> float:
        return float(statistics.median(values))

    return Run(mid([r.seconds for r in runs]), mid([r.peak_mb for r in runs]), 0, b"",
               cpu=mid([r.cpu for r in runs]), user=mid([r.user for r in runs]))


def _ways(root: Path, config: Path, values: Path | None, projects: int,
          round_: int) -> dict[str, tuple[list[str], str | None]]:
    """Label -> (command, working directory) for one round at one size."""
    out = root / f"tree-{projects}-{round_}"
    ways: dict[str, tuple[list[str], str | None]] = {
        STREAM: ([*CLI, "render", str(config), "-o", "-"], None),
        TREE: ([*CLI, "render", str(config), "-o", str(out)], None),
    }
    if values is not None:
        ways[HELM_TEMPLATE] = ([str(HELM), "template", "nim", str(root / "chart"), "-f",
                                str(values)], None)
    if BEFORE:
        ways[OLD + STREAM] = ([*CLI, "render", str(config), "-o", "-"], BEFORE)
        ways[OLD + TREE] = ([*CLI, "render", str(config), "-o", f"{out}-before"], BEFORE)
    return ways


def _measure_size(root: Path, projects: int, rounds: int) -> dict[str, Run]:
    config = write_scale_config(root, projects, scope=SCOPE)
    values = None
    if HELM.is_file() and projects <= HELM_MAX:
        values = root / f"values-{projects}.yaml"
        subprocess.run([*CLI, "values", str(config), "-o", str(values)], check=True)
    runs: dict[str, list[Run]] = {}
    for round_ in range(rounds):
        for label, (cmd, cwd) in _ways(root, config, values, projects, round_).items():
            done = measure(cmd, keep_stdout=False, cwd=cwd)
            if done.returncode != 0:
                raise RuntimeError(f"{label} at {projects} projects exited {done.returncode}")
            runs.setdefault(label, []).append(done)
    return {label: _median(done) for label, done in runs.items()}


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (the cores are shared: CPU time is the figure
    to compare, wall time moves with the load)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def run() -> None:
    """Print every way's figures, then the issue's rows as ratios to helm template."""
    results: dict[tuple[str, int], Run] = {}
    load_before = _load()
    disk_note = recent_deletion()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([*CLI, "chart", "-o", str(root / "chart")], check=True,
                       capture_output=True)
        small = min(SIZES)
        for projects in SIZES:
            measured = _measure_size(root, projects, RUNS if projects == small else BIG_RUNS)
            results.update({(label, projects): r for label, r in measured.items()})
    note_deletion()  # the trees are gone now
    rows = [(label, f"{projects:,} x 5", f"{r.cpu:.2f}", f"{r.user:.2f}",
             f"{r.cpu - r.user:.2f}", f"{r.seconds:.2f}", f"{r.peak_mb:.0f}")
            for (label, projects), r in results.items()]
    print(table(["way", "projects x deployments", "CPU s", "user s", "system s", "wall s",
                 "peak RSS MB"], rows))
    print(f"\nmedians of {RUNS} interleaved rounds at {min(SIZES):,} projects, {BIG_RUNS} "
          f"above; {os.cpu_count()} CPUs; load average {load_before} before, {_load()} after")
    print()
    print(_issue_table(results))
    if disk_note:
        print(disk_note)
    _memory_growth(results)
    if BEFORE:
        _before_and_after(results)


def _issue_table(results: dict[tuple[str, int], Run]) -> str:
    """Issue 26's render rows: each figure beside helm template's, the ratio and the goal."""
    rows = []
    for projects in SIZES:
        helm = results.get((HELM_TEMPLATE, projects))
        for way in (STREAM, TREE):
            ours = results[(way, projects)]
            goals = {figure: (limit, unit)
                     for figure, limit, unit in GOALS.get((way, projects), [])}
            for figure in ("cpu", "seconds", "peak_mb"):
                mine = getattr(ours, figure)
                peer = getattr(helm, figure) if helm else None
                ratio = f"{mine / peer:.2f}x" if peer else "-"
                goal, verdict = "-", ""
                if figure in goals:
                    limit, unit = goals[figure]
                    value = mine / peer if unit == "x" and peer else mine
                    goal = f"<= {limit:g}{'x' if unit == 'x' else ' ' + unit}"
                    verdict = "met" if (unit != "x" or peer) and value <= limit else "missed"
                fmt = "{:.0f} MB" if figure == "peak_mb" else "{:.2f} s"
                files = f" ({projects * FILES_PER_PROJECT + 5:,} files)" if way == TREE else ""
                rows.append((f"`{way}` {projects:,} x 5{files}, {FIGURE_NAMES[figure]}",
                             fmt.format(mine), fmt.format(peer) if peer else "not run", ratio,
                             goal, verdict))
    return table(["work", "nim-gitops", "helm template", "ratio", "goal (issue 26)", ""],
                 rows)


def _memory_growth(results: dict[tuple[str, int], Run]) -> None:
    small, big = min(SIZES), max(SIZES)
    if small == big:
        return
    print()
    for way in (STREAM, TREE, HELM_TEMPLATE):
        if (way, small) in results and (way, big) in results:
            low, high = results[(way, small)].peak_mb, results[(way, big)].peak_mb
            print(f"peak RSS of {way}: {high:.0f} MB at {big:,} x 5 against {low:.0f} MB at "
                  f"{small:,} x 5 ({high / low:.1f}x for {big / small:.0f}x the projects)")


def _before_and_after(results: dict[tuple[str, int], Run]) -> None:
    print(f"\nagainst {BEFORE}:")
    for (label, projects), old in results.items():
        if not label.startswith(OLD):
            continue
        new = results[(label.removeprefix(OLD), projects)]
        print(f"{label.removeprefix(OLD)} at {projects:,} x 5: CPU {old.cpu:.2f} -> "
              f"{new.cpu:.2f} s, wall {old.seconds:.2f} -> {new.seconds:.2f} s, peak RSS "
              f"{old.peak_mb:.0f} -> {new.peak_mb:.0f} MB")
