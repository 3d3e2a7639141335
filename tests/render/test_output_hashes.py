"""Byte-identical output across the streaming writer (issue 26): the SHA-256 of every file
`render -o DIR` writes for every example and target, and of two synthetic fleets (tree and
stream), against hashes recorded from the renderer before the streaming writer existed.

`data/output_hashes.sha256` was produced with `UPDATE_OUTPUT_HASHES=1 pytest
tests/render/test_output_hashes.py` from the renderer without the streaming writer: first at
cfb0a23, then again at e4b39d2 (the serving options and the new default resources had changed
the output meanwhile, on purpose) just before the streaming writer was merged. Regenerate it
only when an output change is intended (and the goldens change with it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from benchmarks.scale import scale_config
from generator import yamlio
from tests.helpers import EXAMPLES, run_cli

HASHES = Path(__file__).parent / "data" / "output_hashes.sha256"
HEADER = ("# sha256 of every file of `nim-gitops render -o DIR` (and of the `-o -` stream, as\n"
          "# <case>/-) for the examples x targets and two synthetic fleets; recorded from the\n"
          "# renderer at commit e4b39d2, before the streaming writer (issue 26).\n")
EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))
TARGETS = ("current", "redesign")
FLEETS = {"fleet-eso": ("external-secrets", 12), "fleet-vault": ("vault", 7)}


def _tree_hashes(case: str, root: Path) -> dict[str, str]:
    return {f"{case}/{p.relative_to(root).as_posix()}":
            hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _render_tree(case: str, args: list[str], out: Path) -> dict[str, str]:
    result = run_cli(["render", *args, "-o", str(out)])
    assert result.code == 0, result.err
    return _tree_hashes(case, out)


def _current(tmp_path: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for config in EXAMPLE_CONFIGS:
        for target in TARGETS:
            case = f"{config.parent.name}-{target}"
            hashes.update(_render_tree(case, [str(config), "--target", target],
                                       tmp_path / case))
    for case, (provider, projects) in FLEETS.items():
        config = tmp_path / f"{case}.yaml"
        config.write_text(yamlio.dump(scale_config(projects, provider=provider)), "utf-8")
        hashes.update(_render_tree(case, [str(config)], tmp_path / case))
        stream = run_cli(["render", str(config), "-o", "-"])
        assert stream.code == 0, stream.err
        hashes[f"{case}/-"] = hashlib.sha256(stream.out.encode("utf-8")).hexdigest()
    return hashes


def _recorded() -> dict[str, str]:
    lines = [line for line in HASHES.read_text("utf-8").splitlines()
             if line and not line.startswith("#")]
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines)}


def test_every_rendered_file_has_its_recorded_hash(tmp_path: Path) -> None:
    hashes = _current(tmp_path)
    if os.environ.get("UPDATE_OUTPUT_HASHES"):
        HASHES.write_text(HEADER + "".join(f"{h}  {p}\n" for p, h in sorted(hashes.items())),
                          "utf-8")
    recorded = _recorded()
    assert len(recorded) > 500
    missing = sorted(set(recorded) - set(hashes))
    extra = sorted(set(hashes) - set(recorded))
    changed = sorted(p for p in set(recorded) & set(hashes) if recorded[p] != hashes[p])
    assert (missing, extra, changed) == ([], [], [])


@pytest.mark.parametrize("case", sorted(FLEETS))
def test_a_fleet_render_is_recorded_whole(case: str) -> None:
    """Each fleet's record holds its file list, its kustomizations and its stream."""
    recorded = [p for p in _recorded() if p.startswith(f"{case}/")]
    assert f"{case}/.nim-gitops-files" in recorded and f"{case}/-" in recorded
    assert f"{case}/projects/team-00000/kustomization.yaml" in recorded
