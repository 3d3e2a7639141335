"""Keeps loaded key material out of anything the tool prints.

Every key the tool reads is registered here; the CLI's error handler passes every message
through `scrub` before it is shown, as a last line of defence.
"""

from __future__ import annotations

_SECRETS: set[str] = set()
MASK = "***"


def register(secret: str) -> None:
    """Remember a secret so that `scrub` can remove it from messages."""
    if secret:
        _SECRETS.add(secret)


def scrub(text: str) -> str:
    """Replace every registered secret in `text` with a mask."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
