"""Writing files safely: atomic single files and whole trees, nothing half-written."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import CheckFailedError, InvalidInputError

MAX_LISTED = 20
STDOUT_CHUNK = 1 << 20  # characters encoded and written to stdout at a time


def atomic_write(path: Path | str, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename.

    On any failure the previous file (if any) is left untouched. `-` writes to stdout.
    """
    if str(path) == "-":
        for start in range(0, len(text), STDOUT_CHUNK):  # never a second copy of a big stream
            sys.stdout.write(text[start:start + STDOUT_CHUNK])
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
    except OSError as exc:  # disk full, read-only file system, path is a directory ...
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write: {exc.strerror or exc}", source=str(path)
                                ) from None
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


def check_tree(root: Path, files: Mapping[str, str], stale: list[str], what: str) -> None:
    """Raise CheckFailedError naming the files under `root` that differ from `files`.

    `stale` are files an earlier run wrote that the current one no longer produces.
    """
    differ = [rel for rel, text in sorted(files.items())
              if not (root / rel).is_file() or (root / rel).read_text("utf-8") != text]
    problems = [f"changed: {rel}" for rel in differ] + [f"stale: {rel}" for rel in stale]
    if problems:
        more = " ..." if len(problems) > MAX_LISTED else ""
        raise CheckFailedError(f"{root} is out of date with {what} ({len(problems)} files): "
                               + "; ".join(problems[:MAX_LISTED]) + more)


def replace_tree(root: Path, files: Mapping[str, str], stale: list[str]) -> list[str]:
    """Write `files` under `root` and remove the `stale` ones; return the paths written."""
    changed = write_tree(root, files)
    for rel in stale:
        (root / rel).unlink()
    return changed
