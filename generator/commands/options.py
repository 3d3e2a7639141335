"""Options several commands share, spelled the same everywhere."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator.targets import TARGETS

if TYPE_CHECKING:
    from generator.writer import TreePlan

F = TypeVar("F", bound=Callable[..., Any])


def target_option(command: F) -> F:
    """`--target current|redesign`: render for that platform instead of the config's
    `spec.platform.target`."""
    return click.option(
        "--target", type=click.Choice(TARGETS), default=None,
        help="Platform to render for, overriding spec.platform.target: current (today's "
             "OpenShift AI) or redesign (the proposed contract).")(command)


force_option = click.option(
    "--force", is_flag=True,
    help="Overwrite files nim-gitops did not write (or that were edited since), and write "
         "into a directory that another tree owns or contains.")


def diff_option(unit: str) -> Callable[[F], F]:
    """`--diff`: write nothing, show what the run would change, one line per `unit`."""
    return click.option(
        "--diff", is_flag=True,
        help=f"Write nothing; show the {unit} this run would add, change and remove (exit 1 "
             "when there are any).")


def show_diff(tree: TreePlan, *, by_object: bool = False) -> int:
    """Print what writing `tree` would change (stdout) and a count (stderr); 1 when anything
    would change, else 0. Nothing is written."""
    from generator import console
    from generator.treediff import diff_text
    from generator.writer import diff_plan

    for refusal in tree.refusals:
        console.warn(f"{tree.kind} would refuse: {refusal}")
    changes = diff_plan(tree, by_object=by_object)
    click.echo(diff_text(changes), nl=False)
    counts = (f"{len(changes.added)} added, {len(changes.changed)} changed, "
              f"{len(changes.removed)} removed")
    console.info(f"{tree.root}: {'no changes' if changes.empty else counts}")
    return 0 if changes.empty else 1


def write_or_diff(tree: TreePlan, *, diff: bool, force: bool,
                  by_object: bool = False) -> int | None:
    """With `diff`, show what writing `tree` would change and return the exit code; else write
    it (warning about what --force took over and about edited files kept) and return None."""
    from generator import console
    from generator.hints import plural
    from generator.writer import write_plan

    if diff:
        return show_diff(tree, by_object=by_object)
    write_plan(tree, force=force)
    if force and tree.refusals:
        first = tree.refusals[0].split(";")[0]
        more = f" (and {len(tree.refusals) - 1} more)" if len(tree.refusals) > 1 else ""
        console.warn(f"--force: took over {plural(len(tree.refusals), 'path')} nim-gitops did "
                     f"not own: {first}{more}")
    for rel in tree.kept:
        console.warn(f"{tree.root / rel}: no longer produced but kept (edited since nim-gitops "
                     "wrote it); delete it if it is not needed")
    return None


def examples(*lines: str) -> str:
    """A command's epilog: an "Examples:" block of command lines, kept as written by click."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def config_input(required: bool = True, help_text: str = "The nim-gitops config file"
                 ) -> Callable[[F], F]:
    """The config of a command, as the positional CONFIG or as `-c/--config FILE` (the same
    file either way). The command receives it as `config` (None when optional and not given);
    both, or neither when required, is a one-line usage error (exit 2)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, config_arg: Path | None = None,
                    config_opt: Path | None = None, **kwargs: Any) -> Any:
            from generator.errors import UsageError

            if config_arg is not None and config_opt is not None:
                raise UsageError(f"give the config once: as CONFIG ({config_arg}) or with "
                                 f"-c/--config ({config_opt}), not both")
            config = config_arg if config_arg is not None else config_opt
            if config is None and required:
                raise UsageError("missing the config: give it as CONFIG or with -c/--config "
                                 "FILE")
            return command(*args, config=config, **kwargs)

        wrapped = click.option("-c", "--config", "config_opt", metavar="FILE",
                               type=click.Path(path_type=Path),
                               help=f"{help_text}; the same as giving it as CONFIG.")(wrapper)
        wrapped = click.argument("config_arg", metavar="CONFIG" if required else "[CONFIG]",
                                 required=False,
                                 type=click.Path(path_type=Path))(wrapped)
        return wrapped  # type: ignore[return-value]

    return decorate


def base_options(command: F) -> F:
    """`--base REF` / `--base-file FILE`: what `plan` and `config check` compare a config with
    (a Git revision, or another config file)."""
    command = click.option(
        "--base-file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
        help="Compare with this config file instead of a Git revision.")(command)
    return click.option(
        "--base", "base_ref", metavar="REF",
        help="Git revision to compare with: the config, its catalog, extended details and "
             "lock file are read as that commit holds them.")(command)
