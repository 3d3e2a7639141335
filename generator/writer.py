"""Writing files safely: atomic single files and whole trees that nim-gitops owns.

A tree (`render`, `chart`, `migrate render`, `schemas build`) is written in two phases. The
plan resolves every target first: names must be safe, no directory below the output may be a
symbolic link, nothing may stand where a directory must go, and a file is overwritten or
removed only when the tree's file list (`.nim-gitops-files`, kept in the tree root) records
it with the content on disk. No file of the tree is replaced before the whole tree is
planned; then each file is renamed into place from a temporary file beside it, the file list
last (`generator.staging`). `--check` and `--diff` stop after the plan.

A large tree (`render` of a fleet) is planned a batch at a time (`TreePlanner`): each
project's files are planned and staged as they are rendered and then forgotten, so memory
follows the largest project; a conflict found in a late batch discards everything staged.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator import ownership, treediff
from generator.errors import CheckFailedError, InvalidInputError
from generator.hints import plural
from generator.keyguard import refuse_key_material
from generator.ownership import MANIFEST, Manifest
from generator.redact import unscrubbed
from generator.staging import (
    STAGING_MARKER,
    Staging,
    cannot_write,
    lstat_or_none,
    path_text,
    remove_stale,
    umask,
)

MAX_LISTED = 20
STDOUT_CHUNK = 1 << 20  # characters encoded and written to stdout at a time
SPOOL_MEMORY = 32 << 20  # characters of a stream held in memory before a temporary file
# A portable file name: letters, digits, `.`, `_` and `-`; `.`-names only when the tool made them.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")


def _mode_for(path: Path) -> int:
    """The previous file's permission bits, or 0666 less the umask for a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~umask()


def _stage(path: Path, text: str) -> str:
    """Write `text` into a temporary file beside `path`; return the temporary file's name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: Path | str, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename.

    On any failure the previous file (if any) is left untouched. `-` writes to stdout, as it
    is: data is checked for key material (`keyguard`), never masked.
    """
    refuse_key_material(text, "<stdout>" if str(path) == "-" else str(path))
    if str(path) == "-":
        out = unscrubbed(sys.stdout)
        for start in range(0, len(text), STDOUT_CHUNK):  # never a second copy of a big stream
            out.write(text[start:start + STDOUT_CHUNK])
        out.flush()
        return
    path = Path(path)
    tmp = None
    try:
        (path.parent if str(path.parent) else Path(".")).mkdir(parents=True, exist_ok=True)
        tmp = _stage(path, text)
        os.replace(tmp, path)
    except OSError as exc:  # disk full, read-only file system, path is a directory ...
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None


class StdoutSpool:
    """A stream for stdout built piece by piece (a project at a time): each piece is checked
    for key material as it comes and held, in memory up to `SPOOL_MEMORY` characters and then
    in an unnamed temporary file, until `flush` writes everything: a failure half-way prints
    nothing, and memory does not grow with the stream."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._held = 0
        self._file: Any = None

    def add(self, text: str) -> None:
        refuse_key_material(text, "<stdout>")
        if self._file is not None:
            self._file.write(text)
            return
        self._pieces.append(text)
        self._held += len(text)
        if self._held > SPOOL_MEMORY:
            # unnamed (nothing is left on disk); closed by flush, or with the process
            self._file = tempfile.TemporaryFile(  # noqa: SIM115
                "w+", encoding="utf-8", newline="")
            self._file.writelines(self._pieces)
            self._pieces.clear()

    def flush(self) -> None:
        out = unscrubbed(sys.stdout)
        for piece in self._pieces:
            for start in range(0, len(piece), STDOUT_CHUNK):
                out.write(piece[start:start + STDOUT_CHUNK])
        if self._file is not None:
            with self._file:
                self._file.seek(0)
                while chunk := self._file.read(STDOUT_CHUNK):
                    out.write(chunk)
        out.flush()


@dataclass
class TreePlan:
    """What writing a tree into `root` does; computed before any file is replaced.

    `files` holds the text of every file (`plan_tree`), or of the files in `write` only (a
    streamed plan kept for `--diff`), or nothing (a streamed plan being written, whose changed
    files are already in `staging`); `digests` lists every file of the tree either way.
    """

    root: Path
    kind: str
    files: dict[str, str]
    digests: dict[str, bytes] = field(default_factory=dict)  # every file -> SHA-256
    write: list[str] = field(default_factory=list)       # new or changed files
    missing: list[str] = field(default_factory=list)     # the subset of `write` not on disk
    remove: list[str] = field(default_factory=list)      # files the last run wrote, now unused
    kept: list[str] = field(default_factory=list)        # unused but edited since: left alone
    refusals: list[str] = field(default_factory=list)    # why writing needs --force
    manifest_changed: bool = False
    staging: Staging | None = None                      # files already staged (streamed)


def _odd_part(rel: str, tool_names: frozenset[str]) -> str | None:
    """The first component of `rel` that is neither a plain, portable name nor a tool's name."""
    return next((part for part in rel.split("/")
                 if part not in tool_names and not _SAFE_NAME.fullmatch(part)), None)


def check_names(root: Path, rels: Iterable[str], tool_names: frozenset[str]) -> None:
    """Refuse a relative path that could leave `root` or is not a plain, portable name."""
    for rel in rels:
        part = _odd_part(rel, tool_names)
        if part is not None:
            raise InvalidInputError(f"refusing to write {rel!r}: {part!r} is not a plain file "
                                    "name (letters, digits, '.', '_', '-')", source=str(root))


def _link_error(path: Path | str) -> InvalidInputError:
    return InvalidInputError("is a symbolic link; nim-gitops does not write or remove "
                             "through links below the output directory", source=str(path))


def _is_dir_path(path: Path) -> bool:
    """True for a real directory; raise for a link or a file where a directory must go."""
    if path.is_symlink():
        raise _link_error(path)
    if path.exists() and not path.is_dir():
        raise InvalidInputError("is a file where nim-gitops needs a directory; move it away",
                                source=str(path))
    return path.is_dir()


def _check_target(target: str) -> os.stat_result | None:
    """`target`'s status (None: it does not exist); raise for a link or a directory."""
    status = lstat_or_none(target)
    if status is not None and stat.S_ISLNK(status.st_mode):
        raise _link_error(target)
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise InvalidInputError("is a directory where nim-gitops writes a file; move it away",
                                source=target)
    return status


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise InvalidInputError("is a file, not a directory", source=str(root))
    existing = next(p for p in (root, *root.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise InvalidInputError("is a file where nim-gitops needs a directory",
                                source=str(existing))


def _as_lf(data: bytes) -> bytes:
    """CRLF line ends read as LF: a Git checkout with `core.autocrlf` holds the same files
    with other line ends."""
    return data.replace(b"\r\n", b"\n") if b"\r\n" in data else data


def _read(path: Path | str) -> bytes | None:
    """A file's content (CRLF read as LF), None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    return _as_lf(data)


def _refusal(root: Path, rel: str, listed: bool, manifest: Manifest | None) -> str:
    path = root / rel
    if manifest is None:
        return (f"{path}: would be overwritten, but {root} has no {MANIFEST} saying nim-gitops "
                "wrote it (earlier versions kept none); check the tree and rerun with --force "
                "to adopt it")
    why = ("was changed since nim-gitops wrote it" if listed
           else f"was not written by nim-gitops ({MANIFEST} does not list it)")
    return f"{path}: {why}; move it away or rerun with --force to overwrite it"


class TreePlanner:
    """Plans writing a tree batch by batch (a project's files at a time); with `stage`, it
    also writes each batch's new and changed files into temporary files beside their targets
    as it goes, so the texts need not stay in memory. No file of the tree is replaced before
    `write_plan`; a conflict found in the last batch leaves the tree as it was (`discard`).
    """

    def __init__(self, root: Path, kind: str, *, tool_names: frozenset[str] = frozenset(),
                 stage: bool = False, force: bool = False,
                 texts: Literal["all", "changed", "none"] = "all") -> None:
        _check_root(root)
        self._manifest = ownership.load(root)
        self.plan = TreePlan(root, kind, {})
        self._foreign = ownership.foreign_roots(root, kind, self._manifest)
        self._recorded = self._manifest.files if self._manifest else {}
        self._tool_names = tool_names
        self._texts = texts
        self._force = force
        self._path = path_text(root)
        self._existed: dict[str, bool] = {}  # directory -> it was there when planned
        self._refused: list[tuple[str, str]] = []
        self._stale = stage and (root / STAGING_MARKER).is_file()
        self._staging = Staging(root) if stage else None
        self.plan.staging = self._staging

    def _confine(self, rel: str) -> str:
        """`root/rel` after checking every directory on the way; raise for a link or a
        directory where the file goes. Paths below a missing directory are not looked at."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            current = self._path("/".join(parts[:depth]))
            found = self._existed.get(current)
            if found is None:
                found = self._existed[current] = _is_dir_path(Path(current))
            if not found:
                return ""
        return self._path(rel)

    def _current(self, rel: str) -> tuple[bytes | None, int | None]:
        """What the file holds now (CRLF read as LF) and its mode; (None, None): no file."""
        target = self._confine(rel)
        status = _check_target(target) if target else None
        if status is None:
            return None, None
        data = _read(target)
        return data, None if data is None else stat.S_IMODE(status.st_mode)

    def add(self, files: Mapping[str, str]) -> None:
        """Plan (and stage) `files`, relative path -> text; each path once per tree."""
        plan = self.plan
        check_names(plan.root, files, self._tool_names)
        for rel, text in files.items():
            refuse_key_material(text, self._path(rel))
        if self._stale:
            remove_stale(plan.root, files)
        for rel in sorted(files):
            if rel in plan.digests:
                raise ValueError(f"{rel} is planned twice")
            text = files[rel]
            data = text.encode("utf-8")
            plan.digests[rel] = hashlib.sha256(data).digest()
            if self._texts == "all":
                plan.files[rel] = text
            current, mode = self._current(rel)
            if current == data:
                continue
            plan.write.append(rel)
            if self._texts == "changed":
                plan.files[rel] = text
            if current is None:
                plan.missing.append(rel)
            elif self._recorded.get(rel) != ownership.digest(current):
                self._refused.append((rel, _refusal(plan.root, rel, rel in self._recorded,
                                                    self._manifest)))
            if self._staging is not None and (self._force or not self._refusing()):
                self._staging.stage(rel, (data,),
                                    self._staging.new_mode if mode is None else mode,
                                    self._existed)

    @property
    def recorded(self) -> Iterable[str]:
        """The files the last run recorded in `.nim-gitops-files` (none for a new tree)."""
        return self._recorded.keys()

    def _refusing(self) -> bool:
        return bool(self._foreign or self._refused)

    def finish(self) -> TreePlan:
        """The whole plan: the stale files, the file list, refusals in path order."""
        plan = self.plan
        for rel in sorted(rel for rel in self._recorded if rel not in plan.digests):
            if _odd_part(rel, self._tool_names) is not None \
                    or not ownership.owned_shape(plan.kind, rel):
                continue  # never a name this command writes (`.git/...`): not ours to remove
            current, _ = self._current(rel)
            if current is None:
                continue
            (plan.remove if ownership.digest(current) == self._recorded[rel]
             else plan.kept).append(rel)
        plan.write.sort()
        plan.missing.sort()
        plan.refusals = [*self._foreign, *(why for _, why in sorted(self._refused))]
        if self._texts == "all":
            plan.files = dict(sorted(plan.files.items()))
        plan.manifest_changed = _differs(_read(plan.root / MANIFEST),
                                         ownership.manifest_chunks(plan.kind, plan.digests))
        if self._stale:
            remove_stale(plan.root, [*plan.remove, *plan.kept, MANIFEST])
        if self._staging is not None and plan.manifest_changed \
                and (self._force or not plan.refusals):
            self._staging.stage(MANIFEST, ownership.manifest_chunks(plan.kind, plan.digests),
                                None, self._existed)
        return plan


def _differs(old: bytes | None, chunks: Iterable[bytes]) -> bool:
    """Whether `old` (None: no file) differs from the concatenation of `chunks`."""
    if old is None:
        return True
    offset = 0
    for chunk in chunks:
        end = offset + len(chunk)
        if old[offset:end] != chunk:
            return True
        offset = end
    return offset != len(old)


@contextmanager
def planned_tree(root: Path, kind: str, **options: Any) -> Iterator[TreePlanner]:
    """A `TreePlanner` whose staged files and directories are removed again when the block
    fails (a render error, a conflict, Ctrl-C)."""
    planner = TreePlanner(root, kind, **options)
    try:
        yield planner
    except BaseException:
        if planner.plan.staging is not None:
            planner.plan.staging.discard()
        raise


def plan_tree(root: Path, files: Mapping[str, str], kind: str, *,
              tool_names: frozenset[str] = frozenset()) -> TreePlan:
    """Resolve every target of writing `files` under `root`; raise on unsafe paths.

    Ownership problems do not raise here: they are listed in `refusals` (see `write_plan`).
    """
    planner = TreePlanner(root, kind, tool_names=tool_names)
    planner.add(files)
    return planner.finish()


def write_plan(plan: TreePlan, *, force: bool = False) -> None:
    """Carry out `plan`: refuse (nothing written) unless it is safe or `force` is given.

    A plan from `plan_tree` is staged here; a streamed one (`TreePlanner(stage=True)`) was
    staged while it was planned. Either way every file is staged before the first rename.
    """
    staging = plan.staging
    if plan.refusals and not force:
        if staging is not None:
            staging.discard()
        more = len(plan.refusals) - 1
        suffix = f" (and {more} more)" if more else ""
        raise InvalidInputError(plan.refusals[0] + suffix)
    root = plan.root
    try:
        if staging is None:
            staging = Staging(root)
            if (root / STAGING_MARKER).is_file():
                remove_stale(root, [*plan.files, *plan.remove, *plan.kept, MANIFEST])
            existed: dict[str, bool] = {}
            for rel in plan.write:
                staging.stage(rel, (plan.files[rel].encode("utf-8"),), None, existed)
            if plan.manifest_changed:
                staging.stage(MANIFEST, ownership.manifest_chunks(plan.kind, plan.digests), None,
                              existed)
        if not staging.staged and not plan.remove and not (root / STAGING_MARKER).exists():
            return
        staging.commit(plan)
    except BaseException:  # an error, and Ctrl-C too: no staging file is left behind
        staging.discard() if staging is not None else None
        raise


def check_plan(plan: TreePlan, what: str, fix: str) -> None:
    """Raise CheckFailedError listing, one per line, the files that differ from `plan`."""
    problems = [f"{'missing' if rel in plan.missing else 'changed'}: {rel}" for rel in plan.write]
    problems += [f"stale: {rel}" for rel in plan.remove + plan.kept]
    if plan.manifest_changed:
        state = "changed" if (plan.root / MANIFEST).exists() else "missing"
        problems.append(f"{state}: {MANIFEST}")
    if not problems:
        return
    count = len(problems)
    listed = [f"  {p}" for p in problems[:MAX_LISTED]]
    if count > MAX_LISTED:
        listed.append(f"  ... and {count - MAX_LISTED} more")
    fix += " --force" if plan.refusals else ""
    raise CheckFailedError(f"{plan.root} is out of date with {what} "
                           f"({plural(count, 'file')}); run `{fix}` to update it:",
                           tuple(listed))


def replaced_texts(plan: TreePlan) -> dict[str, str]:
    """The current text of every file `plan` would overwrite or remove."""
    texts: dict[str, str] = {}
    for rel in sorted(set(plan.write) - set(plan.missing)) + plan.remove:
        data = _read(plan.root / rel)
        if data is not None:
            texts[rel] = data.decode("utf-8", "replace")
    return texts


def diff_plan(plan: TreePlan, *, by_object: bool = False) -> treediff.TreeDiff:
    """What carrying out `plan` changes, object by object (manifests) or file by file."""
    old = replaced_texts(plan)
    new = {rel: plan.files[rel] for rel in plan.write}
    if not by_object:
        return treediff.diff_units(treediff.file_units(old), treediff.file_units(new), "new")
    # Keyed by full path, so that a file that does not parse is named as the user sees it.
    return treediff.diff_units(
        treediff.object_units({str(plan.root / rel): text for rel, text in old.items()}),
        treediff.object_units({str(plan.root / rel): text for rel, text in new.items()}),
        "rendered")
