"""Keeps key material and terminal control characters out of anything the tool prints.

Every key the tool reads is registered here, and any token shaped like an NGC key
(`nvapi-` and at least eight key characters) is masked whatever produced it: a file name,
click's usage errors, a server's answer. The CLI passes every message through `scrub`
(stderr) and every write to stdout through `ScrubbingStream`; `one_line` also makes a message
safe for a terminal. `find_key` lets writers refuse to put key material into a file.
"""

from __future__ import annotations

import re
from typing import IO, Any

_SECRETS: set[str] = set()
MASK = "***"
KEY_SHAPE = re.compile(r"nvapi-[A-Za-z0-9_\-]{8,}", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# in output for people: every control character but the line feed and the tab
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def register(secret: str) -> None:
    """Remember a secret so that `scrub` can remove it from messages."""
    if secret:
        _SECRETS.add(secret)


def scrub(text: str) -> str:
    """Replace every registered secret and every key-shaped token in `text` with a mask."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    if "nvapi-" in text.lower():
        text = KEY_SHAPE.sub(MASK, text)
    return text


def find_key(text: str) -> bool:
    """True when `text` holds a registered secret or a key-shaped token."""
    return any(secret in text for secret in _SECRETS) or _key_shaped(text)


def _key_shaped(text: str) -> bool:
    # A case-blind pattern is scanned character by character (0.16 s over the 25 MB of a
    # 1,000-project render); ASCII text, nearly all output, is first searched for the
    # lower-cased prefix, which for ASCII finds exactly the places the pattern can start.
    if text.isascii() and "nvapi-" not in text.lower():
        return False
    return KEY_SHAPE.search(text) is not None


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`scrub(text)` with newlines and other control characters shown as escapes."""
    return _CONTROL.sub(_escape, scrub(text))


def for_people(text: str) -> str:
    """`scrub(text)` with control characters other than newlines and tabs shown as escapes: a
    catalog's or a config's text cannot move the cursor or recolour a terminal."""
    return _CONTROL_IN_TEXT.sub(_escape, scrub(text))


class ScrubbingStream:
    """A text stream wrapper for output meant for people (stdout at the CLI's edge): every write
    is scrubbed of keys and control characters (`for_people`). Data (manifests, streams) goes
    to the stream under it, checked by `keyguard` instead (`unscrubbed`).

    Only text writes pass through here; the underlying stream keeps its other attributes.
    """

    def __init__(self, stream: IO[str] | Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self._stream.write(for_people(text))
            return len(text)
        return int(self._stream.write(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def unscrubbed(stream: Any) -> Any:
    """The stream under a `ScrubbingStream` (for data already checked by `keyguard`, which
    must reach stdout byte for byte), else `stream` itself."""
    return stream._stream if isinstance(stream, ScrubbingStream) else stream
