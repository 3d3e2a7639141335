"""Reading the NGC API key for `airgap lock`: environment, file or stdin, never argv.

A minimal private reader: `generator/keys.py` (owned elsewhere) did not exist when this was
written; switch to it once it lands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from generator import redact
from generator.errors import InvalidInputError, UsageError

ENV = "NGC_API_KEY"
PREFIX = "nvapi-"


def read_key(key_file: Path | None, from_stdin: bool) -> str:
    """The key from `--api-key-file`, `--api-key-stdin` or `$NGC_API_KEY`, registered for
    redaction; personal keys (`nvapi-...`) only."""
    if key_file is not None and from_stdin:
        raise UsageError("use either --api-key-file or --api-key-stdin, not both")
    if key_file is not None:
        source = str(key_file)
        try:
            key = key_file.read_text("utf-8").strip()
        except OSError as exc:
            raise InvalidInputError(f"cannot read the key: {exc.strerror}",
                                    source=source) from None
    elif from_stdin:
        source = "<stdin>"
        key = sys.stdin.readline().strip()
    else:
        source = f"${ENV}"
        key = os.environ.get(ENV, "").strip()
        if not key:
            raise UsageError(f"no NGC API key: set {ENV}, or pass --api-key-file or "
                             "--api-key-stdin")
    redact.register(key)
    if not key:
        raise InvalidInputError("the key is empty", source=source)
    if not key.startswith(PREFIX):
        raise InvalidInputError(f"not a personal API key (it must start with {PREFIX}); "
                                "legacy keys are not supported", source=source)
    return key
