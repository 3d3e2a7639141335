"""The streamed tree writer (issue 26): render plans and stages one project at a time, yet a
conflict found in the last project, or in the root kustomization written after every
project, leaves the tree (and everything outside it) exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.scale import scale_config
from generator import yamlio
from tests.helpers import run_cli

PROJECTS = 6
LAST = f"projects/team-{PROJECTS - 1:05d}"


def _snapshot(top: Path) -> dict[str, object]:
    """Every directory, file (its bytes and mode) and link below `top`, links not followed."""
    seen: dict[str, object] = {}
    for current, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(current, name)
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[rel] = "dir"
            else:
                seen[rel] = (path.read_bytes(), path.stat().st_mode)
    return seen


def _fleet(tmp_path: Path, gpus: int = 1) -> Path:
    config = scale_config(PROJECTS)
    for project in config["spec"]["projects"]:
        for deployment in project["deployments"]:
            deployment["gpus"] = gpus
    path = tmp_path / "fleet.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


def _in_the_way(out: Path, outside: Path, case: str) -> None:
    if case == "foreign file in the last project":
        (out / LAST).mkdir(parents=True, exist_ok=True)
        (out / LAST / "kustomization.yaml").write_text("# mine\n", "utf-8")
    elif case == "edited root kustomization":
        (out / "kustomization.yaml").write_text("# edited by hand\n", "utf-8")
    elif case == "link as the last project":
        outside.mkdir(exist_ok=True)
        (outside / "keep.txt").write_text("outside\n", "utf-8")
        if (out / LAST).exists():
            for path in (out / LAST).iterdir():
                path.unlink()
            (out / LAST).rmdir()
        (out / LAST).parent.mkdir(exist_ok=True)
        (out / LAST).symlink_to(outside, target_is_directory=True)


CASES = ["foreign file in the last project", "edited root kustomization",
         "link as the last project"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("earlier", ["fresh directory", "earlier render"])
def test_a_late_conflict_leaves_the_tree_as_it_was(tmp_path: Path, case: str,
                                                   earlier: str) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    if earlier == "earlier render":  # every project changes in the new render
        assert run_cli(["render", str(_fleet(tmp_path, gpus=1)), "-o", str(out)]).code == 0
    out.mkdir(exist_ok=True)
    _in_the_way(out, outside, case)
    before = _snapshot(tmp_path)
    result = run_cli(["render", str(_fleet(tmp_path, gpus=2)), "-o", str(out)])
    assert result.code == 1, result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert _snapshot(tmp_path) == {**before, "fleet.yaml": _snapshot(tmp_path)["fleet.yaml"]}


def test_force_writes_through_a_late_conflict_and_check_passes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _in_the_way(out, tmp_path / "outside", "foreign file in the last project")
    config = _fleet(tmp_path)
    assert run_cli(["render", str(config), "-o", str(out), "--force"]).code == 0
    assert run_cli(["render", str(config), "-o", str(out), "--check"]).code == 0
    assert not list(out.rglob("*.tmp")) and not (out / ".nim-gitops-files.staging").exists()


@pytest.mark.parametrize("output", [".", "out", "./out/", "out/deeper/tree"])
def test_relative_outputs_are_written_checked_and_rewritten_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str) -> None:
    config = _fleet(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    first = run_cli(["render", str(config), "-o", output])
    assert first.code == 0, first.err
    written = _snapshot(work)
    assert (work / output / "projects" / "team-00000" / "kustomization.yaml").is_file()
    assert run_cli(["render", str(config), "-o", output, "--check"]).code == 0
    again = run_cli(["render", str(config), "-o", output])
    assert again.code == 0 and "(0 files written, 0 stale removed)" in again.err
    assert _snapshot(work) == written
