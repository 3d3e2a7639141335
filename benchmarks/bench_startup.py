"""Start-up: `--version`, `--help`, and the KRM function on a one-deployment config."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.measure import best_of, measure, table

REPO = Path(__file__).resolve().parent.parent
CLI = [str(REPO / ".venv/bin/nim-gitops")]
KRM_INPUT = f"""apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
{''.join('  ' + line + chr(10) for line in (REPO / 'examples/quickstart/nim-gitops.yaml')
         .read_text().splitlines() if not line.startswith('#'))}"""


def run() -> None:
    """Print the best-of-5 wall times of the start-up paths."""
    rows = [
        ("python -c pass (the floor)", f"{best_of([sys.executable, '-c', 'pass']):.3f}", "-"),
        ("nim-gitops --version", f"{best_of([*CLI, '--version']):.3f}", "0.15"),
        ("nim-gitops --help", f"{best_of([*CLI, '--help']):.3f}", "0.15"),
        ("nim-gitops render --help", f"{best_of([*CLI, 'render', '--help']):.3f}", "0.15"),
    ]
    krm = [measure([*CLI, "krm"], stdin=KRM_INPUT.encode()) for _ in range(5)]
    if all(r.returncode == 0 for r in krm):
        rows.append(("nim-gitops krm (1 deployment)", f"{min(r.seconds for r in krm):.3f}",
                     "0.6"))
    else:
        rows.append(("nim-gitops krm (1 deployment)", "failed", "0.6"))
    print(table(["command", "best of 5 (s)", "target (s)"], rows))
    print(f"python: {sys.version.split()[0]}")
