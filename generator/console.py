"""Messages on stderr: errors, warnings and progress. Respects NO_COLOR.

Every message is scrubbed of key material and shown on one line (control characters escaped).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from generator.redact import one_line


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal (stderr, or `stream`) and only when NO_COLOR is unset or
    empty."""
    stream = sys.stderr if stream is None else stream
    return not os.environ.get("NO_COLOR") and bool(getattr(stream, "isatty", lambda: False)())


def _emit(prefix: str, message: str, fg: str) -> None:
    label = click.style(prefix, fg=fg, bold=True) if color_enabled() else prefix
    click.echo(f"{label} {one_line(message)}", err=True, color=color_enabled())


def error(message: str) -> None:
    """Print one error line."""
    _emit("error:", message, "red")


def warn(message: str) -> None:
    """Print one warning line."""
    _emit("warning:", message, "yellow")


def info(message: str) -> None:
    """Print informational lines on stderr (stdout stays for data)."""
    click.echo("\n".join(one_line(line) for line in message.split("\n")), err=True)
