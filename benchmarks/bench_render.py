"""Scale: render N projects x 5 deployments, then `kubectl kustomize` the result."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.diskstate import note_deletion
from benchmarks.measure import measure, table
from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_RENDER_SIZES", "100,1000,5000").split(","))
# kustomize's own build time grows quadratically with the resources of one build
# (kubernetes-sigs/kustomize#5084), so the whole-tree build is cut off; one project's build
# is what an Argo CD ApplicationSet or a Flux Kustomization per project runs.
ROOT_BUILD_TIMEOUT = float(os.environ.get("BENCH_KUSTOMIZE_TIMEOUT", "120"))
REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "generator"]


def _size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def run() -> None:
    """Print render time, peak RSS, output size and kustomize time per size."""
    kubectl = shutil.which("kubectl", path=str(REPO / ".tools/bin"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for projects in SIZES:
            config = write_scale_config(Path(tmp), projects)
            out = Path(tmp) / f"out-{projects}"
            render = measure([*CLI, "render", str(config), "-o", str(out)])
            assert render.returncode == 0, f"render failed for {projects} projects"
            rows.append((
                f"{projects} x 5", f"{render.seconds:.1f}", f"{render.peak_mb:.0f}",
                f"{_size_mb(out):.1f}", *_kustomize_times(kubectl, out),
                f"{render.seconds / projects * 1000:.1f}",
            ))
            shutil.rmtree(out)
    note_deletion()
    print(table(["projects x deployments", "render s", "peak RSS MB", "output MB",
                 "kustomize whole tree s", "kustomize one project s", "render ms per project"],
                rows))
    print("\ntargets: 1,000 x 5 under 15 s and 500 MB; ms per project roughly constant (linear)")
    print(f"whole-tree builds are stopped after {ROOT_BUILD_TIMEOUT:.0f} s "
          "(BENCH_KUSTOMIZE_TIMEOUT); kustomize itself is quadratic in the objects of one build")


def _kustomize_times(kubectl: str | None, out: Path) -> tuple[str, str]:
    if not kubectl:
        return "n/a", "n/a"
    root = measure([kubectl, "kustomize", str(out)], timeout=ROOT_BUILD_TIMEOUT)
    project = next((out / "projects").iterdir())
    one = measure([kubectl, "kustomize", str(project)])
    whole = f"> {ROOT_BUILD_TIMEOUT:.0f}" if root.timed_out else f"{root.seconds:.1f}"
    return whole, f"{one.seconds:.2f}"
