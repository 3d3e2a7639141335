"""Writing files safely: atomic single files and whole trees, nothing half-written."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import InvalidInputError


def atomic_write(path: Path | str, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename.

    On any failure the previous file (if any) is left untouched. `-` writes to stdout.
    """
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InvalidInputError(f"cannot write: {exc.strerror}", source=str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tree(root: Path, files: Mapping[str, str]) -> list[str]:
    """Write `files` (relative path -> text) under `root`; return the paths that changed.

    Files whose content is already identical are not touched, so timestamps stay put.
    """
    changed: list[str] = []
    for rel, text in sorted(files.items()):
        target = root / rel
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        atomic_write(target, text)
        changed.append(rel)
    return changed
