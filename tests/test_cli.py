"""The CLI's shared behaviour: version, help on every command, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator import __version__
from generator.cli import COMMANDS, LazyGroup, cli
from tests.helpers import run_cli


def test_version() -> None:
    result = run_cli(["--version"])
    assert result.code == 0
    assert __version__ in result.out


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli(["no-such-command"])
    assert result.code == 2
    assert "no-such-command" in result.err  # the usage error names what was typed


def test_every_listed_command_has_help() -> None:
    import click

    ctx = click.Context(cli)
    group = cli
    assert isinstance(group, LazyGroup)
    names = group.list_commands(ctx)
    assert names, "no command is available"
    for name in names:
        result = run_cli([name, "--help"])
        assert result.code == 0, (name, result.err)
        assert f"nim-gitops {name}" in result.out and "--help" in result.out


def test_every_module_named_in_the_registry_exists_or_is_hidden() -> None:
    import click

    names = cli.list_commands(click.Context(cli))  # type: ignore[attr-defined]
    assert set(names) <= set(COMMANDS)


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_module_entry_point(flag: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "generator", flag], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout


@pytest.mark.parametrize("command", [["validate"], ["metadata", "generate"],
                                     ["metadata", "detect-eu"], ["airgap", "lock"]])
def test_parallelism_is_spelled_jobs_everywhere(command: list[str]) -> None:
    result = run_cli([*command, "--help"])
    assert result.code == 0 and "-j, --jobs" in result.out
