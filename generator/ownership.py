"""The file list that records which files of a tree nim-gitops wrote (`.nim-gitops-files`).

One line per file, sorted: its SHA-256 and its path relative to the tree root, as
`sha256sum` prints them. The first line names the command that owns the tree. Nothing else
(no time, no config path), so the same input gives the same list and a copied tree or a
renamed config stays recognisable. A file counts as ours only while its content still has
the recorded hash: a copied list proves nothing about files it does not match.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InvalidInputError

MANIFEST = ".nim-gitops-files"
_TITLE = re.compile(r"# nim-gitops (?P<kind>[a-z][a-z ]*[a-z]): .*")
_LINE = re.compile(r"(?P<hash>[0-9a-f]{64})  (?P<path>[^/\s][^\s]*)")
# Walking more than this many entries below -o means it is not an output directory.
MAX_SCAN = 100_000


@dataclass(frozen=True)
class Manifest:
    """A parsed file list: the owning command and relative path -> SHA-256."""

    kind: str
    files: dict[str, str]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_chunks(kind: str, digests: Mapping[str, bytes],
                    lines: int = 4096) -> Iterator[bytes]:
    """The file list (UTF-8) for a tree whose files (relative path -> SHA-256) `kind` wrote, a
    few thousand lines at a time: a fleet's list runs to tens of MB."""
    yield (f"# nim-gitops {kind}: the files it wrote here and their SHA-256. Files not "
           "listed are never changed or removed. Do not edit.\n").encode()
    rels = sorted(digests)
    for start in range(0, len(rels), lines):
        yield "".join(f"{digests[rel].hex()}  {rel}\n"
                      for rel in rels[start:start + lines]).encode("utf-8")


def parse(text: str, source: str) -> Manifest:
    """Parse a file list; a line that is not one is an error naming it."""
    lines = text.splitlines()
    title = _TITLE.fullmatch(lines[0]) if lines else None
    if title is None:
        raise InvalidInputError("not a nim-gitops file list (first line); delete it or restore "
                                "it from version control", source=source, line=1)
    files: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        match = _LINE.fullmatch(line)
        rel = match["path"] if match else ""
        if match is None or ".." in rel.split("/") or "" in rel.split("/"):
            raise InvalidInputError("not a '<sha256>  <relative path>' line; delete the file "
                                    "list or restore it from version control",
                                    source=source, line=number)
        files[rel] = match["hash"]
    return Manifest(title["kind"], files)


def load(root: Path) -> Manifest | None:
    """The file list in `root`, or None when there is none."""
    path = root / MANIFEST
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InvalidInputError("is not a regular file; delete it", source=str(path))
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read: {exc}", source=str(path)) from None
    return parse(text, str(path))


def _nested_roots(root: Path) -> tuple[list[Path], bool]:
    """Directories below `root` holding a file list (links and dot-directories skipped)."""
    found: list[Path] = []
    seen = 0
    for current, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        seen += len(dirs) + len(names)
        if seen > MAX_SCAN:
            return found, True
        if MANIFEST in names and Path(current) != root:
            found.append(Path(current))
    return found, False


# The shapes of the paths each command writes: a file list is the tool's own, but a tampered
# one must not make it remove anything else (a user's notes.md listed with its digest).
OWNED_SHAPES: dict[str, re.Pattern[str]] = {
    "render": re.compile(r"kustomization\.yaml|platform/[a-z0-9][a-z0-9.-]*\.yaml"
                         r"|projects/[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*\.yaml"),
    "chart": re.compile(r"\.helmignore|Chart\.yaml|values\.yaml|values\.schema\.json"
                        r"|README\.md|(files|templates)/[A-Za-z0-9_][A-Za-z0-9._-]*"),
    "schemas build": re.compile(r"([A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*"
                                r"\.json"),
    "migrate render": re.compile(
        r"kustomization\.yaml|[a-z0-9][a-z0-9-]*/(kustomization\.yaml|"
        r"servingruntime-schema\.json|delete-after-restart\.yaml|"
        r"(live|patches|secrets)/[a-z0-9][a-z0-9.-]*\.yaml)"),
}


def owned_shape(kind: str, rel: str) -> bool:
    """Whether `rel` has the shape of a path command `kind` writes (unknown kinds: any)."""
    shape = OWNED_SHAPES.get(kind)
    return shape is None or shape.fullmatch(rel) is not None


def foreign_roots(root: Path, kind: str, manifest: Manifest | None) -> list[str]:
    """Why `root` belongs to another tree: a different owner, an enclosing or nested tree."""
    problems: list[str] = []
    if manifest is not None and manifest.kind != kind:
        problems.append(f"{root}: holds a tree written by `nim-gitops {manifest.kind}`, not "
                        f"`{kind}`; choose another directory or use --force to take it over")
    for parent in root.absolute().parents:
        if (parent / MANIFEST).is_file():
            problems.append(f"{root}: is inside the nim-gitops tree at {parent}; write to a "
                            "directory of its own or use --force")
            break
    if root.is_dir():
        nested, too_many = _nested_roots(root)
        if too_many:
            problems.append(f"{root}: holds more than {MAX_SCAN} files, which is not an output "
                            "directory; choose another one or use --force")
        problems += [f"{root}: holds another nim-gitops tree in {path}; choose another "
                     "directory or use --force" for path in nested]
    return problems
