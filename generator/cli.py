"""The `nim-gitops` command line: a lazy click group and the one error handler.

Subcommands live in `generator.commands.<name>` and are imported only when used, so that
`--help`, `--version` and the KRM function start fast.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from generator import __version__, console
from generator.errors import NimGitopsError
from generator.heap import long_lived_output
from generator.redact import ScrubbingStream, one_line, scrub

# command name -> (module, attribute, one-line help shown in `--help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("generator.commands.config", "init", "Write a commented starter config."),
    "config": ("generator.commands.config", "config", "Inspect the config file format."),
    "catalog": ("generator.commands.catalog", "catalog", "List the catalog's models and tags."),
    "render": ("generator.commands.render", "render", "Render a config into a kustomize tree."),
    "validate": ("generator.commands.validate", "validate", "Validate manifests."),
    "schemas": ("generator.commands.schemas", "schemas", "Build kubeconform schemas."),
    "metadata": ("generator.commands.metadata", "metadata", "Build the model metadata."),
    "key": ("generator.commands.key", "key", "Check an NGC API key."),
    "chart": ("generator.commands.chart", "chart", "Write the Helm chart."),
    "values": ("generator.commands.chart", "values", "Print Helm values for a config."),
    "krm": ("generator.commands.krm", "krm", "Run as a kustomize KRM function."),
    "airgap": ("generator.commands.airgap", "airgap", "Air-gapped cluster helpers."),
    "migrate": ("generator.commands.migrate", "migrate", "Migrate pre-redesign deployments."),
    "rotate": ("generator.commands.rotate", "rotate", "Rotate an NGC key through Git."),
    "plan": ("generator.commands.plan", "plan", "Show what a config change does, from Git."),
    "explain": ("generator.commands.explain", "explain", "Describe a config field."),
    "secrets": ("generator.commands.secrets", "secrets",
                "List the secret-store entries a config needs."),
}

EXAMPLES = ("\b\nExamples:\n  nim-gitops init && nim-gitops render nim-gitops.yaml -o rendered/\n"
            "  nim-gitops explain spec.secrets.externalSecrets.projectRemoteRef\n"
            "  nim-gitops COMMAND --help\n"
            "  eval \"$(_NIM_GITOPS_COMPLETE=bash_source nim-gitops)\"   # bash completion; "
            "zsh, fish: docs/cli.md")

EXIT_INTERRUPTED = 130
EXIT_UNEXPECTED = 70


def _available(name: str) -> bool:
    module = COMMANDS[name][0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if _available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """`--version`: the version, and the git commit when run from a checkout."""
    if not value or ctx.resilient_parsing:
        return
    from generator.buildinfo import version_line

    click.echo(version_line(__version__))
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXAMPLES)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version (and commit) and exit.")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps manifests for NVIDIA NIM on OpenShift AI and Open Data Hub."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


class _ClosedStdout(io.TextIOBase):
    """Stands in for a closed stdout (`>&-`): writing fails like a closed descriptor."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


@contextmanager
def _scrubbed_stdout() -> Iterator[None]:
    """Scrub every write to stdout for the duration of a run (see `generator.redact`)."""
    original: Any = sys.stdout
    sys.stdout = ScrubbingStream(original if original is not None else _ClosedStdout())
    try:
        yield
    finally:
        sys.stdout = original


def _show_click_error(exc: click.ClickException) -> None:
    """click's own usage/error text, with key material masked and each line made safe."""
    buffer = io.StringIO()
    exc.show(file=buffer)
    lines = buffer.getvalue().rstrip("\n").split("\n")
    sys.stderr.write("".join(one_line(line) + "\n" for line in lines))
    sys.stderr.flush()


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "<stdout>" \
        if exc.errno in (errno.EBADF, errno.EPIPE) else None
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where is not None else reason


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    color = False if os.environ.get("NO_COLOR") else None
    try:
        with long_lived_output(), _scrubbed_stdout():
            result = cli.main(args=args, prog_name="nim-gitops", standalone_mode=False,
                              color=color)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        _show_click_error(exc)
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except NimGitopsError as exc:
        console.error(str(exc))
        for line in getattr(exc, "details", ()):
            console.info(line)
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except OSError as exc:  # the environment, not the input: ENOSPC, EBADF, ELOOP ...
        console.error(_os_error(exc))
        return 1
    except Exception as exc:
        if debug:
            import traceback  # only here: it pulls in linecache and tokenize at start-up

            sys.stderr.write(scrub(traceback.format_exc()))
        console.error(f"unexpected error: {type(exc).__name__}: {exc} (rerun with --debug)")
        return EXIT_UNEXPECTED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
