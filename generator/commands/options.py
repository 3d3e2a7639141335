"""Options several commands share, spelled the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from generator.targets import TARGETS

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
