"""Options several commands share, spelled the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
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
