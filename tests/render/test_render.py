"""Rendering the examples: layout, kustomize builds, golden output, determinism, --check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, REPO, kustomize_build, run_cli

EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))
GOLDEN = Path(__file__).parent / "golden"
IDS = [p.parent.name for p in EXAMPLE_CONFIGS]


def _render(config: Path, out: Path) -> None:
    result = run_cli(["render", str(config), "-o", str(out)])
    assert result.code == 0, result.err


def _objects(text: str) -> list[dict[str, object]]:
    return sorted(yamlio.load_all(text, "t"), key=lambda o: json.dumps(o, sort_keys=True))


@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=IDS)
def test_golden_stream(config: Path, target: str) -> None:
    """Every example, rendered for each target, is byte-identical to its golden file."""
    result = run_cli(["render", str(config), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    golden = GOLDEN / target / f"{config.parent.name}.yaml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.out, "utf-8")
    assert result.out == golden.read_text("utf-8")


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=IDS)
def test_the_config_target_is_the_default_of_render(config: Path) -> None:
    """Without --target, render follows spec.platform.target (current when it is not set)."""
    declared = yamlio.load_one(config.read_text("utf-8"), str(config))["spec"]["platform"]
    target = declared.get("target", "current")
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    assert result.out == (GOLDEN / target / f"{config.parent.name}.yaml").read_text("utf-8")


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=IDS)
def test_every_directory_builds_with_kustomize(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(config, out)
    dirs = sorted({p.parent for p in out.rglob("kustomization.yaml")})
    assert out in dirs and (out / "platform") in dirs
    for directory in dirs:
        assert kustomize_build(directory).strip()
    stream = run_cli(["render", str(config), "-o", "-"]).out
    assert _objects(kustomize_build(out)) == _objects(stream)


def test_layout_is_one_object_per_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(EXAMPLES / "quickstart/nim-gitops.yaml", out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files == [
        "kustomization.yaml",
        "platform/account-odh-nim-account.yaml",
        "platform/externalsecret-nvidia-nim-access.yaml",
        "platform/kustomization.yaml",
        "platform/odhdashboardconfig-odh-dashboard-config.yaml",
        "projects/team-a/account-odh-nim-account.yaml",
        "projects/team-a/externalsecret-nvidia-nim-secrets.yaml",
        "projects/team-a/inferenceservice-llama-8b.yaml",
        "projects/team-a/kustomization.yaml",
        "projects/team-a/namespace-team-a.yaml",
        "projects/team-a/persistentvolumeclaim-llama-8b-cache.yaml",
        "projects/team-a/servingruntime-llama-8b.yaml",
    ]
    for path in out.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert len(yamlio.load_all(path.read_text(), str(path))) == 1


def test_render_is_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    config = EXAMPLES / "multi-project/nim-gitops.yaml"
    trees = []
    for seed in ("0", "1", "12345"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "generator", "render", str(config), "-o", str(out)],
                       check=True, env=env, capture_output=True, cwd=REPO)
        trees.append({p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
                      if p.is_file()})
    assert trees[0] == trees[1] == trees[2]


def test_rerender_touches_nothing_and_check_passes(tmp_path: Path) -> None:
    config = EXAMPLES / "quickstart/nim-gitops.yaml"
    out = tmp_path / "out"
    _render(config, out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.yaml")}
    result = run_cli(["render", str(config), "-o", str(out)])
    assert "0 files written" in result.err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.yaml")} == mtimes
    assert run_cli(["render", str(config), "-o", str(out), "--check"]).code == 0


def _without_team_b(tmp_path: Path) -> Path:
    """The multi-project example without team-b, under another name (that must not matter)."""
    text = (EXAMPLES / "multi-project/nim-gitops.yaml").read_text("utf-8")
    config = tmp_path / "renamed.yaml"
    config.write_text(text[: text.index("  - name: team-b")], "utf-8")
    return config


def test_check_reports_changed_missing_and_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(EXAMPLES / "multi-project/nim-gitops.yaml", out)
    config = _without_team_b(tmp_path)
    sr = out / "projects/team-a/servingruntime-llama-8b.yaml"
    sr.write_text(sr.read_text().replace("1.15", "1.14"))
    (out / "platform/template-nim-http-template.yaml").unlink()
    (out / "projects/team-a/my-patch.yaml").write_text("kind: Thing\n")
    before = {p: p.read_bytes() for p in out.rglob("*")  if p.is_file()}
    result = run_cli(["render", str(config), "-o", str(out), "--check"])
    assert result.code == 1
    lines = result.err.splitlines()
    assert f"render {config} -o {out} --force" in lines[0], "names the command that fixes it"
    assert "  changed: projects/team-a/servingruntime-llama-8b.yaml" in lines
    assert "  missing: platform/template-nim-http-template.yaml" in lines
    assert "  stale: projects/team-b/servingruntime-mistral.yaml" in lines
    assert "my-patch" not in result.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_stale_files_and_emptied_projects_go_and_user_files_stay(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(EXAMPLES / "multi-project/nim-gitops.yaml", out)
    mine = out / "projects/team-a/my-patch.yaml"
    mine.write_text("# my own patch\nkind: Thing\n")
    copy = out / "projects/team-a/my-isvc.yaml"
    copy.write_text((out / "projects/team-a/inferenceservice-llama-8b.yaml").read_text())
    (out / "README.md").write_text("notes\n")
    result = run_cli(["render", str(_without_team_b(tmp_path)), "-o", str(out)])
    assert result.code == 0, result.err
    assert "6 stale removed" in result.err
    assert not (out / "projects/team-b").exists(), "a removed project leaves no directory"
    assert mine.exists() and copy.exists() and (out / "README.md").exists()
    assert result.err.count("\n") == 1


def test_stream_output_writes_no_files(tmp_path: Path) -> None:
    result = run_cli(["render", str(EXAMPLES / "quickstart/nim-gitops.yaml"), "-o", "-"])
    assert result.code == 0
    kinds = [o["kind"] for o in yamlio.load_all(result.out, "stdout")]
    assert kinds[:3] == ["ExternalSecret", "Account", "OdhDashboardConfig"]
    assert kinds.count("ExternalSecret") == 2  # the Account's key and the project's
