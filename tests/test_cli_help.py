"""What every command's help offers: runnable examples, shell completion, the version's
commit, and the config given the same way everywhere (CONFIG or -c/--config)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from generator import __version__
from generator.buildinfo import checkout_commit
from generator.cli import cli
from tests.helpers import CRDS, EXAMPLES, REPO, isolated_env, run_cli

# `plan` and `rotate` are being changed on other branches (issue 25's plan); their examples
# land with them
# what an example needs that a test cannot have, and the words that show it
NEEDS_MORE = {
    "an NGC key and NVIDIA's service": ("NGC_API_KEY=", "--api-key", "pass show"),
    "a cluster": ("oc get", "kubectl get"),
    "files the user brings": ("export.yaml", "nim-models-data.yaml", "old.yaml",
                              "nim-models-details.json", "clusters/prod/"),
    "kustomize with exec plugins, helm": ("kustomize build", "helm template"),
}


def _paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(_paths(command, path))
    return found


COMMAND_PATHS = list(_paths(cli))  # type: ignore[arg-type]


def _examples(path: tuple[str, ...]) -> list[str]:
    result = run_cli([*path, "--help"])
    assert result.code == 0, result.err
    text = result.out
    assert "Examples:" in text, f"nim-gitops {' '.join(path)} --help shows no examples"
    block = text[text.index("Examples:") + len("Examples:"):].split("\n\n")[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_help_shows_examples_of_the_command(path: tuple[str, ...]) -> None:
    lines = _examples(path)
    assert lines
    # each example runs this command (or one of a group's subcommands)
    assert any(f"nim-gitops {' '.join(path)}" in line for line in lines), lines


def test_the_top_level_help_shows_examples() -> None:
    result = run_cli(["--help"])
    assert "Examples:" in result.out and "_NIM_GITOPS_COMPLETE=bash_source" in result.out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory as the examples assume it: the quickstart config, the cluster's CRDs in
    crds/, their schemas in schemas/ and the config rendered into rendered/."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copy(EXAMPLES / "quickstart/nim-gitops.yaml", root / "nim-gitops.yaml")
    (root / "crds").symlink_to(CRDS)
    assert run_cli(["schemas", "build", str(root / "crds"), "-o", str(root / "schemas")]).code == 0
    assert run_cli(["render", str(root / "nim-gitops.yaml"), "-o", str(root / "rendered")]
                   ).code == 0
    # a Git repository whose main and origin/main hold the config, for the `--base` examples
    git = ["git", "-C", str(root), "-c", "user.name=examples", "-c", "user.email=e@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "nim-gitops.yaml"],
                 ["commit", "-qm", "base"], ["update-ref", "refs/remotes/origin/main", "HEAD"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return root


def _runnable() -> list[tuple[str, str]]:
    found = []
    for path in COMMAND_PATHS:
        for line in _examples(path):
            if line.startswith("nim-gitops") and not any(
                    word in line for words in NEEDS_MORE.values() for word in words):
                found.append((" ".join(path), line))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("command", "line"), _runnable())
def test_examples_run(command: str, line: str, workdir: Path, tmp_path: Path) -> None:
    """Each example that needs no key, cluster or file of the user's runs and exits 0 (`init`
    in an empty directory, the others where the config is rendered and unchanged)."""
    cwd = tmp_path if line.startswith("nim-gitops init") else workdir
    env = isolated_env(PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin",
                                             "/bin"]))
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", line], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, f"{command}: {line}\n{proc.stderr}"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell: str) -> None:
    env = isolated_env(_NIM_GITOPS_COMPLETE=f"{shell}_source")
    proc = subprocess.run([sys.executable, "-m", "generator"], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "_nim_gitops_completion" in proc.stdout
    assert "_NIM_GITOPS_COMPLETE" in proc.stdout


def test_completion_completes_commands_and_subcommands() -> None:
    env = isolated_env(_NIM_GITOPS_COMPLETE="bash_complete", COMP_WORDS="nim-gitops secrets l",
                       COMP_CWORD="2")
    proc = subprocess.run([sys.executable, "-m", "generator"], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.stdout.splitlines() == ["plain,list"]
    env.update(COMP_WORDS="nim-gitops expl", COMP_CWORD="1")
    proc = subprocess.run([sys.executable, "-m", "generator"], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.stdout.splitlines() == ["plain,explain"]


def test_version_names_the_commit_of_the_checkout() -> None:
    head = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout.strip()
    result = run_cli(["--version"])
    assert result.code == 0
    assert result.out == f"nim-gitops {__version__} (commit {head})\n"


def test_version_without_a_checkout_is_the_version_alone(tmp_path: Path) -> None:
    assert checkout_commit(tmp_path) is None
    (tmp_path / ".git").write_text("gitdir: nowhere\n")
    assert checkout_commit(tmp_path) is None


def _git(cwd: Path, *args: str) -> str:
    env = isolated_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                       GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                       GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_commit_is_read_from_loose_packed_detached_and_worktree_heads(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    first = _git(repo, "rev-parse", "--short=7", "HEAD")
    assert checkout_commit(repo) == first  # a loose ref
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git/refs/heads/main").exists()
    assert checkout_commit(repo) == first  # a packed ref
    _git(repo, "commit", "-q", "--allow-empty", "-m", "two")
    _git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), first)
    assert checkout_commit(tmp_path / "wt") == first  # a worktree, detached
    assert checkout_commit(repo) == _git(repo, "rev-parse", "--short=7", "HEAD")


@pytest.mark.parametrize("command", [["render", "-o", "-"], ["values"], ["config", "check"],
                                     ["secrets", "list"], ["airgap", "images"]])
def test_config_as_argument_or_option_is_the_same(command: list[str]) -> None:
    config = str(EXAMPLES / "quickstart/nim-gitops.yaml")
    positional = run_cli([*command, config])
    option = run_cli([*command, "-c", config])
    long_option = run_cli([*command, "--config", config])
    assert positional.code == option.code == long_option.code == 0, positional.err
    assert positional.out == option.out == long_option.out


@pytest.mark.parametrize("command", [["render", "-o", "-"], ["values"], ["config", "check"],
                                     ["secrets", "list"], ["airgap", "lock"]])
def test_config_twice_or_never_is_a_one_line_usage_error(command: list[str]) -> None:
    config = str(EXAMPLES / "quickstart/nim-gitops.yaml")
    both = run_cli([*command, config, "-c", "other.yaml"])
    assert both.code == 2
    assert both.err == (f"error: give the config once: as CONFIG ({config}) or with "
                        "-c/--config (other.yaml), not both\n")
    neither = run_cli(command)
    assert neither.code == 2
    assert neither.err == "error: missing the config: give it as CONFIG or with -c/--config FILE\n"


def test_optional_config_commands_accept_the_option_too() -> None:
    config = str(EXAMPLES / "quickstart/nim-gitops.yaml")
    assert run_cli(["catalog", "list", config]).out == \
        run_cli(["catalog", "list", "-c", config]).out != ""
    clash = run_cli(["catalog", "list", config, "--catalog", config])
    assert clash.code == 2
    assert clash.err == "error: give --catalog or a config (CONFIG or -c/--config), not both\n"
