"""The files `metadata generate` writes must be different files.

`-o X --extended X` would write the ConfigMap and then replace it with the side file, and
exit 0. Each pair of `-o`, `--extended` and `--report` is compared as the file system sees
it: after resolving `.`/`..` and symlinks (`./X`, `dir/../X`, a link to X), and, when both
exist, as the same inode (a hard link). `-` is stdout: two outputs to it would mix.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.errors import UsageError

STDOUT = "-"


def _resolved(path: str) -> Path:
    """`path` made absolute with symlinks followed (as far as they lead)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare what is written
        return Path(os.path.abspath(path))


def same_destination(first: str, second: str) -> bool:
    """Whether writing `first` and then `second` writes the same file (or stdout twice)."""
    if STDOUT in (first, second):
        return first == second
    if _resolved(first) == _resolved(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist yet: different files
        return False


def check_distinct(outputs: dict[str, str | None]) -> None:
    """Refuse (usage error) two options, of {option: path}, that name the same file."""
    named = [(option, path) for option, path in outputs.items() if path]
    for index, (option, path) in enumerate(named):
        for other, other_path in named[index + 1:]:
            if same_destination(path, other_path):
                clash = ("both write to stdout" if path == STDOUT
                         else "name the same file: the second would replace the first")
                raise UsageError(f"{option} {path} and {other} {other_path} {clash}; "
                                 "give each its own file")
