"""Staging a tree's files: each new or changed file is written into a temporary file beside
its target, and all of them are renamed into place together (`Staging.commit`), the file
list last; until then `Staging.discard` removes every temporary file and every directory
made for them, which leaves the tree as it was.

The marker (`STAGING_MARKER`) exists while anything is staged: a run killed half-way (SIGKILL
cannot be caught) leaves it behind, and the next run then removes the temporary files it finds
beside the tree's own files (`remove_stale`).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import string
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import InvalidInputError
from generator.ownership import MANIFEST

if TYPE_CHECKING:
    from generator.writer import TreePlan

STAGING_MARKER = f"{MANIFEST}.staging"
STAGED = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")  # a temporary file's name
_TOKEN_CHARS = string.ascii_letters + string.digits


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def cannot_write(path: Path | str, exc: OSError) -> InvalidInputError:
    return InvalidInputError(f"cannot write: {exc.strerror or exc}", source=str(path))


def lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(f"cannot read: {exc.strerror or exc}", source=path) from None


def path_text(root: Path) -> Callable[[str], str]:
    """A function giving `str(root / rel)` for a plain relative path, without building a Path
    (a fleet has hundreds of thousands of them)."""
    prefix = str(root / "x")[:-1]
    return lambda rel: prefix + rel


def folder_of(path: str) -> str:
    return path.rpartition("/")[0]


class Staging:
    """Temporary files beside their targets, and the directories made for them.

    The marker (`STAGING_MARKER`) exists before the first temporary file does. `commit`
    renames every file into place (the file list last); `discard` removes what was made.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = path_text(root)
        # the files staged, in order, and the number in each one's temporary name (`_temporary`);
        # the first `_renamed` of them are in place
        self.staged: list[str] = []
        self._numbers = array("L")
        self._renamed = 0
        self.created: list[str] = []          # directories made, parents first
        self._ready: set[str] = set()         # directories known to exist now
        self._made_marker = False
        self._token = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(3))
        self._count = 0
        self.new_mode = 0o666 & ~umask()

    def _mkdir(self, folder: str) -> None:
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder) or os.path.islink(folder):
                raise cannot_write(folder, FileExistsError(17, "File exists")) from None
            return  # made meanwhile by someone else: not ours to remove
        except OSError as exc:
            raise cannot_write(folder, exc) from None
        self.created.append(folder)

    def _start(self) -> None:
        """The root (and its missing parents) and the marker, before any temporary file."""
        missing = [p for p in (self.root, *self.root.absolute().parents) if not p.exists()]
        for path in reversed(missing):
            self._mkdir(str(path))
        marker = self.root / STAGING_MARKER
        if not marker.exists():
            try:
                marker.touch()
            except OSError as exc:
                raise cannot_write(marker, exc) from None
            self._made_marker = True
        self._ready.add(folder_of(self.path("x")))

    def _folder(self, folder: str, existed: dict[str, bool]) -> None:
        """Make `folder` (the root or below it) exist; `existed` says which directories were
        already there when the plan looked (missing ones below a missing one are absent)."""
        if folder in self._ready:
            return
        if not self._ready:
            self._start()
        chain = []
        current = folder
        while current and current not in self._ready and not existed.get(current, False):
            chain.append(current)
            current = current.rpartition("/")[0]
        for path in reversed(chain):
            self._mkdir(path)
            self._ready.add(path)
        self._ready.add(folder)

    def _temporary(self, rel: str, number: int) -> str:
        folder, _, name = self.path(rel).rpartition("/")
        return f"{folder}/.{name}.{self._token}{number % 0x100000:05x}.tmp"

    def stage(self, rel: str, chunks: Iterable[bytes], mode: int | None,
              existed: dict[str, bool]) -> None:
        """Write `chunks` into a new temporary file beside `rel` (making its directories);
        `mode` None: the mode of the file it replaces (a new file: 0666 less the umask).
        `existed` says which directories were there when the plan looked (`_folder`)."""
        self._folder(folder_of(self.path(rel)), existed)
        while True:
            self._count += 1
            try:
                fd = create_new(self._temporary(rel, self._count))
            except FileExistsError:
                continue
            except OSError as exc:
                raise cannot_write(self.path(rel), exc) from None
            break
        self.staged.append(rel)
        self._numbers.append(self._count)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            if mode is None:
                status = lstat_or_none(self.path(rel))
                mode = self.new_mode if status is None else stat.S_IMODE(status.st_mode)
            if mode != self.new_mode:
                os.fchmod(fd, mode)
        except OSError as exc:
            raise cannot_write(self.path(rel), exc) from None
        finally:
            os.close(fd)

    def commit(self, plan: TreePlan) -> None:
        """Rename every staged file into place, remove the stale ones, the file list last
        (it is staged last, when it changed)."""
        root = self.root
        last = len(self.staged) - (bool(self.staged) and self.staged[-1] == MANIFEST)
        rel = ""
        try:
            while self._renamed < last:
                rel = self.staged[self._renamed]
                os.replace(self._temporary(rel, self._numbers[self._renamed]),
                           self.path(rel))
                self._renamed += 1
            for rel in plan.remove:
                (root / rel).unlink(missing_ok=True)
            remove_empty_dirs(root, plan.remove)
            if last < len(self.staged):  # replaced last: an interrupted run still knows its files
                rel = MANIFEST
                os.replace(self._temporary(MANIFEST, self._numbers[last]), root / MANIFEST)
                self._renamed += 1
            rel = STAGING_MARKER
            (root / STAGING_MARKER).unlink(missing_ok=True)
        except OSError as exc:
            raise cannot_write(root / rel, exc) from None

    def discard(self) -> None:
        """Remove every temporary file not yet renamed, the marker if this run made it, and
        the directories made for staging that are empty again."""
        for index in range(self._renamed, len(self.staged)):
            Path(self._temporary(self.staged[index], self._numbers[index])).unlink(
                missing_ok=True)
        del self.staged[self._renamed:], self._numbers[self._renamed:]
        if self._made_marker:
            (self.root / STAGING_MARKER).unlink(missing_ok=True)
        for folder in reversed(self.created):
            if os.path.isdir(folder) and _empty(folder):
                os.rmdir(folder)


def _empty(folder: str) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def create_new(path: str) -> int:
    """A new file, opened for writing (never an existing one)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)


def remove_empty_dirs(root: Path, rels: Iterable[str]) -> None:
    """Remove the now-empty directories (below `root`) that held `rels`, deepest first."""
    dirs = {(root / rel).parent for rel in rels}
    for rel in rels:
        dirs.update(p for p in (root / rel).parents if root in p.parents)
    for path in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if path != root and path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


def remove_stale(root: Path, rels: Iterable[str]) -> None:
    """Remove the staging files (`STAGED` names) an interrupted run left beside the files of
    this tree: only names derived from the tree's own files, only regular files."""
    names: dict[Path, set[str]] = {}
    for rel in rels:
        names.setdefault((root / rel).parent, set()).add(Path(rel).name)
    for folder, owned in names.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = STAGED.fullmatch(entry.name)
            if match and match["name"] in owned and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
