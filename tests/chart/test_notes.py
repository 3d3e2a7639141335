"""NOTES.txt tells the installer what the chart created for its target and key scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.support import helm, write_values
from tests.helpers import EXAMPLES


def _notes(chart: Path, values: Path) -> str:
    out = helm("install", "nim", str(chart), "-f", str(values), "--dry-run=client").stdout
    return out[out.index("NOTES:"):]


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_notes_follow_target_and_scope(chart_dir: Path, tmp_path: Path, target: str) -> None:
    values = write_values(EXAMPLES / "project-keys/nim-gitops.yaml", tmp_path / "v.yaml",
                          target=target)
    notes = _notes(chart_dir, values)
    assert f"target {target}" in notes
    assert "nvidia-nim-secrets and ngc-secret" in notes and "nim-api-key-" not in notes
    assert ("Account odh-nim-account" in notes) == (target == "current")
    assert ("Template nim-http-template" in notes) == (target == "redesign")
