"""Validate the N x 5 render (render -o DIR, then `nim-gitops validate --strict DIR`).

The target is the 1,000 x 5 render (about 25,000 objects) in under 20 s. BENCH_VALIDATE_SIZES
shrinks or grows the sizes (projects, comma-separated).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import measure, table
from benchmarks.scale import write_scale_config

SIZES = tuple(int(n) for n in os.environ.get("BENCH_VALIDATE_SIZES", "100,1000").split(","))
REPO = Path(__file__).resolve().parent.parent
CRDS = REPO.parent / "shared" / "crds"
CLI = [sys.executable, "-m", "generator"]
TARGET_SECONDS = 20.0


def run() -> None:
    """Print validation time, peak RSS and objects per second per size."""
    rows = []
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
            rows.append((f"{projects} x 5", summary["resources"], checked,
                         f"{check.seconds:.1f}", f"{check.peak_mb:.0f}",
                         f"{checked / check.seconds:,.0f}"))
    print(f"schemas build of {len(list(CRDS.glob('*.yaml')))} CRDs: {built.seconds:.1f} s\n")
    print(table(["projects x deployments", "documents", "objects validated", "validate s",
                 "peak RSS MB", "objects per s"], rows))
    print(f"\ntarget: 1,000 x 5 (about 25,000 objects) under {TARGET_SECONDS:.0f} s; documents "
          "include the kustomization.yaml files, which are skipped")
