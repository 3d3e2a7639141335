"""The one bounded reader of input files: regular files only, never more than the limit.

`/dev/zero` would be read until memory runs out and a FIFO without a writer would block the
run, so both are refused before a byte is read; at most `max_bytes + 1` bytes are ever read,
whatever `stat` says. OS errors (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG ...) become one-line
`InvalidInputError`s that name the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator.errors import InvalidInputError

MAX_INPUT_BYTES = 64 * 1024 * 1024  # the default bound of `read_text`

_REASONS = {"ENOENT": "file not found", "EISDIR": "is a directory, expected a file",
            "EACCES": "permission denied", "EPERM": "permission denied"}


def _reason(exc: OSError) -> str:
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    return _REASONS.get(name, exc.strerror or str(exc))


def read_bounded(path: Path | str, max_bytes: int, *, what: str = "input",
                 allow_pipe: bool = False) -> bytes:
    """The bytes of `path`, refusing non-regular files and anything over `max_bytes`.

    `allow_pipe` accepts a pipe that already has a writer (`--api-key-file <(pass show ngc)`);
    its read is bounded too.
    """
    source = str(path)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InvalidInputError(_reason(exc), source=source) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InvalidInputError("is a directory, expected a file", source=source)
        pipe = allow_pipe and stat.S_ISFIFO(info.st_mode)
        if not stat.S_ISREG(info.st_mode) and not pipe:
            raise InvalidInputError(f"not a regular file (the {what} must be one)",
                                    source=source)
        if info.st_size > max_bytes:
            raise InvalidInputError(
                f"file is {info.st_size:,} bytes, more than the {max_bytes:,} allowed",
                source=source)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InvalidInputError(_reason(exc), source=source) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise InvalidInputError(f"file is more than the {max_bytes:,} bytes allowed",
                                source=source)
    return data


def read_text(path: Path | str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Read a UTF-8 text file (a leading BOM is dropped) or raise an InvalidInputError."""
    return decode(read_bounded(path, max_bytes), str(path))


def decode(raw: bytes, source: str) -> str:
    """Decode UTF-8 bytes, dropping a BOM; non-UTF-8 input is an InvalidInputError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"not valid UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})", source=source
        ) from None
    return text.removeprefix("\ufeff")


def read_stdin(max_bytes: int = MAX_INPUT_BYTES, source: str = "<stdin>") -> str:
    """Standard input as text, refusing more than `max_bytes` (the cap every command reading
    stdin shares) before decoding anything."""
    import sys

    raw = sys.stdin.buffer.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise InvalidInputError(f"more than {max_bytes:,} bytes on stdin", source=source)
    return decode(raw, source)
