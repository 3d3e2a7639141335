"""Output for people never carries terminal control sequences (issue #27, item 18): a catalog
or a config is somebody else's text, and an escape sequence in it must not move the cursor,
recolour the terminal or rewrite what is shown. Newlines and tabs stay; keys stay masked."""

from __future__ import annotations

import io

import click

from generator.redact import ScrubbingStream, for_people
from tests.helpers import FAKE_KEY

ESC = "\x1b[2J\x1b[31mowned\x1b[0m"


def test_for_people_escapes_control_characters_but_not_layout() -> None:
    text = f"a\tb\n{ESC}\r\x07 {FAKE_KEY}\u2028"
    shown = for_people(text)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert "\u2028" not in shown and FAKE_KEY not in shown
    assert shown.startswith("a\tb\n\\x1b[2J") and "\\x0d\\x07" in shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_click_output_on_a_terminal_is_escaped() -> None:
    """On a terminal click passes escape sequences through (it strips them only from pipes);
    stdout's wrapper escapes them first. A validated manifest's name can hold one (YAML's
    `\\e`)."""
    terminal = _Terminal()
    click.echo(f"ConfigMap/p/bad{ESC}name is invalid", file=ScrubbingStream(terminal))
    shown = terminal.getvalue()
    assert "\x1b" not in shown and "bad\\x1b[2J" in shown
