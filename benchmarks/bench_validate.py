"""Validate the N x 5 render (render -o DIR, then `nim-gitops validate --strict DIR`), beside
kubeconform (the one `nim-gitops validate --kubeconform` finds: `$KUBECONFORM`, else on PATH,
v0.6.x or v0.7.x; when there is one) on the same tree and the same schemas, in the same run.

The target is the 1,000 x 5 render (about 27,000 documents) in at most 8 s. BENCH_VALIDATE_SIZES
shrinks or grows the sizes (projects, comma-separated). kubeconform runs offline here: kinds
without a local schema (the core ones) are skipped by it (-ignore-missing-schemas), so it
checks fewer objects than nim-gitops does.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.diskstate import note_deletion
from benchmarks.measure import measure, table
from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_VALIDATE_SIZES", "100,1000").split(","))
REPO = Path(__file__).resolve().parent.parent
CRDS = REPO.parent / "shared" / "crds"
CLI = [sys.executable, "-m", "generator"]
TARGET_SECONDS = 8.0


def _kubeconform() -> tuple[str | None, str]:
    """The kubeconform to compare with, or None and why there is none."""
    from generator.errors import UsageError
    from generator.validate.tools import find_kubeconform

    try:
        found = find_kubeconform()
    except UsageError as error:
        return None, str(error).removeprefix("--kubeconform: ")
    return found.path, found.version


def _kubeconform_args(binary: str, schemas: Path, out: Path) -> list[str]:
    from generator.validate.kubeconform import SKIP, kubeconform_locations

    locations = [arg for loc in kubeconform_locations(str(schemas))
                 for arg in ("-schema-location", loc)]
    return [binary, "-strict", "-summary", "-ignore-missing-schemas", "-skip", SKIP,
            *locations, str(out)]


def run() -> None:
    """Print validation time, CPU, peak RSS and objects per second per size."""
    rows = []
    seconds: dict[int, float] = {}
    binary, about = _kubeconform()
    with tempfile.TemporaryDirectory() as tmp:
        schemas = Path(tmp) / "schemas"
        built = measure([*CLI, "schemas", "build", str(CRDS), "-o", str(schemas)])
        assert built.returncode == 0, "schemas build failed"
        for projects in SIZES:
            config = write_scale_config(Path(tmp), projects)
            out = Path(tmp) / f"out-{projects}"
            render = measure([*CLI, "render", str(config), "-o", str(out)])
            assert render.returncode == 0, f"render failed for {projects} projects"
            check = measure([*CLI, "validate", "--strict", "--schema-location", str(schemas),
                             "--output", "json", str(out)])
            summary = json.loads(check.stdout)["summary"]
            assert check.returncode == 0, f"validation failed: {summary}"
            checked = summary["resources"] - summary["skipped"]
            seconds[projects] = check.seconds
            rows.append(("nim-gitops validate --strict", f"{projects} x 5", summary["resources"],
                         checked, f"{check.seconds:.1f}", f"{check.cpu:.1f}",
                         f"{check.peak_mb:.0f}", f"{checked / check.seconds:,.0f}"))
            if binary is not None:
                peer = measure(_kubeconform_args(binary, schemas, out))
                rows.append((f"kubeconform {about} -strict", f"{projects} x 5", "-", "-",
                             f"{peer.seconds:.1f}", f"{peer.cpu:.1f}", f"{peer.peak_mb:.0f}",
                             "-"))
    note_deletion()
    print(f"schemas build of {len(list(CRDS.glob('*.yaml')))} CRDs: {built.seconds:.1f} s\n")
    print(table(["tool", "projects x deployments", "documents", "objects validated",
                 "wall s", "CPU s", "peak RSS MB", "objects per s"], rows))
    if binary is None:
        print(f"\nno comparison with kubeconform: {about}")
    big = max(SIZES)
    print(f"\ntarget: {big:,} x 5 in at most {TARGET_SECONDS:.0f} s ({seconds[big]:.1f} s: "
          f"{'met' if seconds[big] <= TARGET_SECONDS else 'missed'}); documents include the "
          "kustomization.yaml files, which are skipped")
