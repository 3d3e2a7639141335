"""The pre-commit hooks: the manifest's shape, and each hook run the way pre-commit runs it."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, REPO

HOOKS: list[dict[str, Any]] = yamlio.load_one(
    (REPO / ".pre-commit-hooks.yaml").read_text("utf-8"), ".pre-commit-hooks.yaml")
BY_ID = {hook["id"]: hook for hook in HOOKS}
# pre-commit's manifest schema: required keys and the optional ones used here
REQUIRED = {"id", "name", "entry", "language"}
OPTIONAL = {"description", "pass_filenames", "files", "args", "types", "always_run"}


def test_manifest_shape() -> None:
    assert set(BY_ID) == {"nim-gitops-render-check", "nim-gitops-validate"}
    for hook in HOOKS:
        assert REQUIRED <= set(hook) <= REQUIRED | OPTIONAL, hook["id"]
        assert hook["language"] == "python"  # pre-commit pip-installs this repository
        assert hook["pass_filenames"] is False
        assert shlex.split(hook["entry"])[0] == "nim-gitops"
        re.compile(hook["files"])
        assert all(isinstance(a, str) for a in hook["args"])


def test_files_pattern_triggers_on_config_and_rendered_changes() -> None:
    pattern = re.compile(BY_ID["nim-gitops-render-check"]["files"])
    for path in ("nim-gitops.yaml", "rendered/platform/kustomization.yaml", "catalog.json"):
        assert pattern.search(path), path
    assert not pattern.search("README.md")


def _run_hook(hook_id: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """entry + args, no filenames: exactly what pre-commit executes for these hooks."""
    hook = BY_ID[hook_id]
    return subprocess.run([*shlex.split(hook["entry"]), *hook["args"]], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def gitops_repo(tmp_path: Path, plugin_env: dict[str, str]) -> Path:
    """A repository laid out as the hooks' defaults expect, with up-to-date output."""
    shutil.copy(EXAMPLES / "quickstart/nim-gitops.yaml", tmp_path / "nim-gitops.yaml")
    proc = subprocess.run(["nim-gitops", "render", "nim-gitops.yaml", "-o", "rendered"],
                          cwd=tmp_path, env=plugin_env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_render_check_passes_when_up_to_date(gitops_repo: Path,
                                             plugin_env: dict[str, str]) -> None:
    proc = _run_hook("nim-gitops-render-check", gitops_repo, plugin_env)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr


def test_render_check_fails_on_hand_edits(gitops_repo: Path, plugin_env: dict[str, str]) -> None:
    edited = gitops_repo / "rendered/projects/team-a/inferenceservice-llama-8b.yaml"
    edited.write_text(edited.read_text() + "# hand edit\n", "utf-8")
    proc = _run_hook("nim-gitops-render-check", gitops_repo, plugin_env)
    assert proc.returncode == 1
    assert "changed: projects/team-a/inferenceservice-llama-8b.yaml" in proc.stderr


def test_render_check_fails_when_config_changed(gitops_repo: Path,
                                                plugin_env: dict[str, str]) -> None:
    config = gitops_repo / "nim-gitops.yaml"
    config.write_text(config.read_text().replace("gpus: 1", "gpus: 2"), "utf-8")
    proc = _run_hook("nim-gitops-render-check", gitops_repo, plugin_env)
    assert proc.returncode == 1
    assert "out of date" in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("generator.commands.validate") is None,
                    reason="nim-gitops validate is not in this checkout yet")
def test_validate_hook_runs_on_rendered_output(gitops_repo: Path,
                                               plugin_env: dict[str, str]) -> None:
    proc = _run_hook("nim-gitops-validate", gitops_repo, plugin_env)
    assert proc.returncode == 0, proc.stderr


def _documented_local_hooks() -> dict[str, dict[str, Any]]:
    """The `repo: local` hooks docs/gitops.md tells users to declare until a release exists."""
    text = (REPO / "docs/gitops.md").read_text("utf-8")
    block = text.split("<!-- doc-test: write .pre-commit-config.yaml -->\n```yaml\n", 1)[1]
    config = yamlio.load_one(block.split("\n```", 1)[0], "docs/gitops.md")
    [local] = [r for r in config["repos"] if r["repo"] == "local"]
    return {hook["id"]: hook for hook in local["hooks"]}


def test_documented_local_hooks_are_the_published_ones() -> None:
    local = _documented_local_hooks()
    assert set(local) == set(BY_ID)
    for hook_id, hook in local.items():
        assert hook["language"] == "system"  # nim-gitops installed from the checkout's wheel
        published = BY_ID[hook_id]
        for key in ("entry", "args", "files", "pass_filenames"):
            assert hook[key] == published[key], (hook_id, key)
