"""The documentation's command blocks run, as written, against a copy of this checkout.

A shell block (```sh, ```console, ...) in a covered page is preceded by one marker line:

- `<!-- doc-test: run -->` (or `run in DIR`): the test runs it with bash (`-e -o pipefail`) in
  the copy (or in DIR inside it). In a console block only `$ ` lines and their `\\`
  continuations are commands; the other lines are sample output.
- `<!-- doc-test: skip REASON -->`: it needs what a test cannot have (a cluster, a registry,
  a container engine, an NGC key, network access); the reason says which.

Any block may carry `<!-- doc-test: write PATH -->`: its text is written to PATH in the copy,
so later blocks can use a config or kustomization the page shows. The blocks of one page run
in order in one copy, with the venv's `nim-gitops`, the project's helm and kubectl on PATH, and
HOME, Helm's and kustomize's directories in the temporary directory. docs/validate.md,
docs/rules.md, docs/metadata.md and docs/airgap.md are edited elsewhere and not covered yet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO, TOOLS_BIN, isolated_env

PAGES = ["README.md", "docs/argocd.md", "docs/cli.md", "docs/flux.md", "docs/gitops.md",
         "docs/helm-plugins.md", "docs/helm.md", "docs/kustomize-plugin.md",
         "docs/migration.md", "docs/plan.md", "docs/quickstart-teams.md", "docs/resources.md",
         "docs/secrets.md"]
SHELL = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"<!-- doc-test: (run(?: in (?P<dir>\S+))?|skip (?P<reason>.+?)|"
                    r"write (?P<path>\S+)) -->")
FENCE = re.compile(r"^```(?P<info>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page and what its marker asks for."""

    page: str
    line: int
    info: str
    text: str
    action: str | None  # "run", "skip", "write" or None (no marker)
    arg: str | None  # run: directory; skip: reason; write: path

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: str) -> list[Block]:
    """Every fenced block of a page, with the marker on the line before its fence."""
    lines = (REPO / page).read_text("utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        marker = MARKER.fullmatch(lines[i - 1].strip()) if i else None
        action = arg = None
        if marker:
            action = marker.group(1).split()[0]
            arg = marker.group("dir") or marker.group("reason") or marker.group("path")
        found.append(Block(page, i + 1, opening.group("info"), "\n".join(lines[i + 1:end]) + "\n",
                           action, arg))
        i = end + 1
    return found


def script(block: Block) -> str:
    """The commands of a block: a console block's `$ ` lines, or the whole sh block."""
    if block.info != "console":
        return block.text
    commands, continued = [], False
    for line in block.text.splitlines():
        if continued or line.startswith("$ "):
            commands.append(line if continued else line[2:])
            continued = line.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


@pytest.mark.parametrize("page", PAGES)
def test_every_shell_block_is_run_or_says_why_not(page: str) -> None:
    for block in blocks(page):
        if block.info in SHELL:
            assert block.action in ("run", "skip"), \
                f"{block.where}: mark it `<!-- doc-test: run -->` or `<!-- doc-test: skip WHY -->`"
            assert block.action != "skip" or block.arg, f"{block.where}: say why it is skipped"
    assert all(b.action is None or b.info in SHELL or b.action == "write"
               for b in blocks(page))


def _checkout(tmp_path: Path) -> Path:
    """A copy of the tracked files, with this venv and the project's tools linked in."""
    copy = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name, follow_symlinks=False)
    (copy / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (copy / ".tools").symlink_to(TOOLS_BIN.parent)
    return copy


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_env(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), str(TOOLS_BIN), "/usr/bin",
                              "/bin"]),
        HOME=str(home), HELM_DATA_HOME=str(home / "helm/data"),
        HELM_CONFIG_HOME=str(home / "helm/config"), HELM_CACHE_HOME=str(home / "helm/cache"))
    for name in ("HELM_PLUGINS", "KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES
                                  if any(b.action in ("run", "write") for b in blocks(p))])
def test_marked_blocks_run(page: str, tmp_path: Path) -> None:
    copy, env = _checkout(tmp_path), _env(tmp_path)
    for block in blocks(page):
        if block.action == "write" and block.arg:
            target = copy / block.arg
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, "utf-8")
        elif block.action == "run":
            cwd = copy / block.arg if block.arg else copy
            cwd.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script(block)],
                                  cwd=cwd, env=env, capture_output=True, text=True, check=False,
                                  timeout=300)
            assert proc.returncode == 0, \
                f"{block.where} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr}"
