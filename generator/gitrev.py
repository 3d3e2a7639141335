"""Files as a Git revision holds them (`git show REV:path`), for `plan --base REF`.

Only `git rev-parse`, `git cat-file` and `git show` run, with the config's directory as the
working directory; nothing in the repository is changed. Paths are taken relative to the
repository's top level, so a config in a subdirectory reads its catalog from the same place.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from generator.errors import InvalidInputError, UsageError
from generator.reading import MAX_INPUT_BYTES, decode

TIMEOUT = 60


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=TIMEOUT,
                              check=False)
    except FileNotFoundError:
        raise UsageError("--base needs git on PATH; or compare with --base-file FILE") \
            from None
    except subprocess.TimeoutExpired:
        raise InvalidInputError(f"git {args[0]} took more than {TIMEOUT}s",
                                source=str(cwd)) from None


class Revision:
    """The files of one commit of the repository that holds `anchor` (a directory)."""

    def __init__(self, ref: str, anchor: Path) -> None:
        anchor = anchor.resolve()
        if not anchor.is_dir():
            raise UsageError(f"{anchor}: no such directory")
        top = _git(["rev-parse", "--show-toplevel"], anchor)
        if top.returncode != 0:
            raise UsageError(f"{anchor} is not in a Git repository; use --base-file FILE")
        self.root = Path(top.stdout.decode().strip()).resolve()
        if ref.startswith("-"):
            raise UsageError(f"--base {ref}: not a revision")
        found = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], anchor)
        if found.returncode != 0:
            raise UsageError(f"--base {ref}: not a commit of {self.root}")
        self.ref = ref
        self.commit = found.stdout.decode().strip()

    def _rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise UsageError(f"{path} is outside the Git repository {self.root}") from None

    def name(self, path: Path) -> str:
        return f"{self.ref}:{self._rel(path)}"

    def exists(self, path: Path) -> bool:
        spec = f"{self.commit}:{self._rel(path)}"
        return _git(["cat-file", "-e", spec], self.root).returncode == 0

    def read(self, path: Path) -> str:
        """The file's text at the revision; a one-line error when it is not there."""
        if not self.exists(path):
            raise InvalidInputError(f"not in revision {self.ref}", source=self.name(path))
        done = _git(["cat-file", "blob", f"{self.commit}:{self._rel(path)}"], self.root)
        if done.returncode != 0:
            raise InvalidInputError("is not a file at that revision", source=self.name(path))
        if len(done.stdout) > MAX_INPUT_BYTES:
            raise InvalidInputError(f"more than the {MAX_INPUT_BYTES:,} bytes allowed",
                                    source=self.name(path))
        return decode(done.stdout, self.name(path))
