"""Writing files safely: atomic single files and whole trees that nim-gitops owns.

A tree (`render`, `chart`, `migrate render`, `schemas build`) is written in two phases. The
plan resolves every target first: names must be safe, no directory below the output may be a
symbolic link, nothing may stand where a directory must go, and a file is overwritten or
removed only when the tree's file list (`.nim-gitops-files`, kept in the tree root) records
it with the content on disk. Only then is anything written, each file through a temporary
file and a rename; the file list is replaced last. `--check` and `--diff` stop after the plan.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator import ownership, treediff
from generator.errors import CheckFailedError, InvalidInputError
from generator.hints import plural
from generator.keyguard import refuse_key_material
from generator.ownership import MANIFEST, Manifest
from generator.redact import unscrubbed

MAX_LISTED = 20
STDOUT_CHUNK = 1 << 20  # characters encoded and written to stdout at a time
# While a tree is being written: an interrupted run (Ctrl-C, SIGKILL) leaves it behind, and the
# next run then removes the staging files it finds beside the tree's own files.
STAGING_MARKER = f"{MANIFEST}.staging"
_STAGED = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")
# A portable file name: letters, digits, `.`, `_` and `-`; `.`-names only when the tool made them.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The previous file's permission bits, or 0666 less the umask for a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _cannot_write(path: Path | str, exc: OSError) -> InvalidInputError:
    return InvalidInputError(f"cannot write: {exc.strerror or exc}", source=str(path))


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
        raise _cannot_write(path, exc) from None


@dataclass
class TreePlan:
    """What writing `files` into `root` does; computed before anything is written."""

    root: Path
    kind: str
    files: dict[str, str]
    write: list[str] = field(default_factory=list)       # new or changed files
    missing: list[str] = field(default_factory=list)     # the subset of `write` not on disk
    remove: list[str] = field(default_factory=list)      # files the last run wrote, now unused
    kept: list[str] = field(default_factory=list)        # unused but edited since: left alone
    refusals: list[str] = field(default_factory=list)    # why writing needs --force
    manifest_text: str = ""
    manifest_changed: bool = False


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


def _is_dir_path(path: Path) -> bool:
    """True for a real directory; raise for a link or a file where a directory must go."""
    if path.is_symlink():
        raise InvalidInputError("is a symbolic link; nim-gitops does not write or remove "
                                "through links below the output directory", source=str(path))
    if path.exists() and not path.is_dir():
        raise InvalidInputError("is a file where nim-gitops needs a directory; move it away",
                                source=str(path))
    return path.is_dir()


def _confine(root: Path, rel: str, checked: dict[Path, bool]) -> Path:
    """`root/rel` after checking every directory on the way; the target itself is not a link.

    `checked` remembers directories already looked at (directory -> exists).
    """
    current = root
    for part in rel.split("/")[:-1]:
        current = current / part
        if current not in checked:
            checked[current] = _is_dir_path(current)
        if not checked[current]:
            break
    target = root / rel
    if target.is_symlink():
        raise InvalidInputError("is a symbolic link; nim-gitops does not write or remove "
                                "through links below the output directory", source=str(target))
    if target.is_dir():
        raise InvalidInputError("is a directory where nim-gitops writes a file; move it away",
                                source=str(target))
    return target


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise InvalidInputError("is a file, not a directory", source=str(root))
    existing = next(p for p in (root, *root.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise InvalidInputError("is a file where nim-gitops needs a directory",
                                source=str(existing))


def _read(path: Path) -> bytes | None:
    """A file's content with CRLF line ends read as LF (a Git checkout with `core.autocrlf`
    holds the same files with other line ends), None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    return data.replace(b"\r\n", b"\n") if b"\r\n" in data else data


def _refusal(root: Path, rel: str, listed: bool, manifest: Manifest | None) -> str:
    path = root / rel
    if manifest is None:
        return (f"{path}: would be overwritten, but {root} has no {MANIFEST} saying nim-gitops "
                "wrote it (earlier versions kept none); check the tree and rerun with --force "
                "to adopt it")
    why = ("was changed since nim-gitops wrote it" if listed
           else f"was not written by nim-gitops ({MANIFEST} does not list it)")
    return f"{path}: {why}; move it away or rerun with --force to overwrite it"


def plan_tree(root: Path, files: Mapping[str, str], kind: str, *,
              tool_names: frozenset[str] = frozenset()) -> TreePlan:
    """Resolve every target of writing `files` under `root`; raise on unsafe paths.

    Ownership problems do not raise here: they are listed in `refusals` (see `write_plan`).
    """
    _check_root(root)
    check_names(root, files, tool_names)
    for rel, text in files.items():
        refuse_key_material(text, str(root / rel))
    plan = TreePlan(root, kind, dict(sorted(files.items())))
    manifest = ownership.load(root)
    plan.refusals.extend(ownership.foreign_roots(root, kind, manifest))
    recorded = manifest.files if manifest else {}
    checked: dict[Path, bool] = {}
    for rel, text in plan.files.items():
        current = _read(_confine(root, rel, checked))
        if current == text.encode("utf-8"):
            continue
        plan.write.append(rel)
        if current is None:
            plan.missing.append(rel)
        elif recorded.get(rel) != ownership.digest(current):
            plan.refusals.append(_refusal(root, rel, rel in recorded, manifest))
    for rel in sorted(set(recorded) - set(plan.files)):
        if _odd_part(rel, tool_names) is not None or not ownership.owned_shape(kind, rel):
            continue  # never a name this command writes (`.git/...`): not ours to remove
        current = _read(_confine(root, rel, checked))
        if current is None:
            continue
        (plan.remove if ownership.digest(current) == recorded[rel] else plan.kept).append(rel)
    plan.manifest_text = ownership.dump(kind, plan.files)
    plan.manifest_changed = _read(root / MANIFEST) != plan.manifest_text.encode("utf-8")
    return plan


def _created_dirs(root: Path, rels: Iterable[str]) -> list[Path]:
    """Directories (root included) that writing `rels` creates, parents first."""
    needed: set[Path] = set()
    for parent in {(root / rel).parent for rel in rels}:
        while parent not in needed and not parent.exists():
            needed.add(parent)
            parent = parent.parent
    return sorted(needed, key=lambda p: len(p.parts))


def _remove_empty_dirs(root: Path, rels: Iterable[str]) -> None:
    """Remove the now-empty directories (below `root`) that held `rels`, deepest first."""
    dirs = {(root / rel).parent for rel in rels}
    for rel in rels:
        dirs.update(p for p in (root / rel).parents if root in p.parents)
    for path in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if path != root and path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


def write_plan(plan: TreePlan, *, force: bool = False) -> None:
    """Carry out `plan`: refuse (nothing written) unless it is safe or `force` is given."""
    if plan.refusals and not force:
        more = len(plan.refusals) - 1
        suffix = f" (and {more} more)" if more else ""
        raise InvalidInputError(plan.refusals[0] + suffix)
    root = plan.root
    marker = root / STAGING_MARKER
    if marker.is_file():
        _remove_stale_staging(root, [*plan.files, *plan.remove, *plan.kept, MANIFEST])
        marker.unlink()
    created = _created_dirs(root, plan.write or [MANIFEST])
    staged: dict[Path, str] = {}
    current: Path = root
    texts = {root / rel: plan.files[rel] for rel in plan.write}
    if plan.manifest_changed:
        texts[root / MANIFEST] = plan.manifest_text
    if not texts and not plan.remove:
        return
    try:
        for current in created:
            current.mkdir()
        current = marker
        marker.touch()
        for current, text in texts.items():
            staged[current] = _stage(current, text)
        manifest = root / MANIFEST  # replaced last: an interrupted run still knows its files
        for current in [target for target in staged if target != manifest]:
            os.replace(staged[current], current)
            del staged[current]
        for current in (root / rel for rel in plan.remove):
            current.unlink(missing_ok=True)
        _remove_empty_dirs(root, plan.remove)
        if manifest in staged:
            current = manifest
            os.replace(staged[manifest], manifest)
            del staged[manifest]
        marker.unlink(missing_ok=True)
    except BaseException as exc:  # OSError, and Ctrl-C too: no staging file is left behind
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        for path in reversed(created):
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if isinstance(exc, OSError):
            raise _cannot_write(current, exc) from None
        raise


def _remove_stale_staging(root: Path, rels: Iterable[str]) -> None:
    """Remove the staging files (`_stage`'s names) an interrupted run left beside the files of
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
            match = _STAGED.fullmatch(entry.name)
            if match and match["name"] in owned and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)


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
