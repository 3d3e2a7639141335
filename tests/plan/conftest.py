"""A real Git history for `nim-gitops plan`: a config, its catalog and extended details, then
one commit per change a platform team makes (tagged by the change's name)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.catalog import sample_catalog_text
from tests.helpers import run_cli

CONFIG = "nim-gitops.yaml"
BASE = """\
apiVersion: nim-gitops.opendatahub.io/v1alpha1
kind: NimGitOps
metadata:
  name: plan-test
spec:
  platform:
    target: current
    catalog:
      file: nim-models-data.yaml
      extended: nim-models-details.json
  secrets:
    provider: external-secrets
    externalSecrets:
      storeRef: {kind: ClusterSecretStore, name: ngc-keys}
  projects:
  - name: team-a
    deployments:
    - name: llama-8b
      model: llama-3.1-8b-instruct
      tag: 1.15.4
      replicas: 2
    - name: embed
      model: nv-embedqa-e5-v5
      tag: 1.10.1
  - name: team-b
    deployments:
    - name: mistral
      model: mistral-7b-instruct-v0.3
      tag: 1.12.0
      gpus: 2
"""
RERANK = """\
    - name: rerank
      model: llama-3.2-nv-rerankqa-1b-v2
      tag: 1.8.0
"""
# The extended details (`metadata generate --extended`) know each model's latest tag only.
DETAILS = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimModelDetails",
    "models": {
        "llama-3.1-8b-instruct": {"latestTag": "1.15.5", "architectures": {
            "amd64": {"digest": "sha256:" + "a" * 64, "size": 9_663_676_416}}},
        "llama-3.2-nv-rerankqa-1b-v2": {"latestTag": "1.8.0", "architectures": {
            "amd64": {"digest": "sha256:" + "b" * 64, "size": 4_294_967_296}}},
    },
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=plan test", "-c", "user.email=t@example.com",
                           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                          cwd=repo, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout


def commit(repo: Path, name: str, text: str) -> None:
    (repo / CONFIG).write_text(text, "utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", name)
    git(repo, "tag", name)


def _edits() -> Iterator[tuple[str, str]]:
    """(tag, config text) of the commits after the base up to the tag change, in order."""
    text = BASE.replace("      gpus: 2\n", "      gpus: 2\n" + RERANK)
    yield "add", text
    text = text.replace("    - name: embed\n      model: nv-embedqa-e5-v5\n      tag: 1.10.1\n", "")
    yield "remove", text
    yield "tag-change", text.replace("tag: 1.15.4", "tag: 1.15.5")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository: tags base, add, remove, tag-change, rotation, team-removal."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q")
    (repo / "nim-models-data.yaml").write_text(sample_catalog_text(), "utf-8")
    (repo / "nim-models-details.json").write_text(json.dumps(DETAILS, indent=2), "utf-8")
    commit(repo, "base", BASE)
    for name, text in _edits():
        commit(repo, name, text)
    # the key rotation as a team makes it: `nim-gitops rotate` edits the config
    rotated = run_cli(["rotate", "-c", str(repo / CONFIG), "team-a"])
    assert rotated.code == 0, rotated.err
    commit(repo, "rotation", (repo / CONFIG).read_text("utf-8"))
    text = (repo / CONFIG).read_text("utf-8")
    commit(repo, "team-removal", text[:text.index("  - name: team-b\n")])
    return repo


@pytest.fixture
def at(history: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Check out a tag of the history and work from the repository's top."""
    monkeypatch.chdir(history)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def checkout(tag: str) -> Path:
        git(history, "checkout", "-q", tag)
        return history

    return checkout
