"""`render --diff`: what writing a tree would add, change and remove, object by object."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator import yamlio

MAX_DIFF_LINES = 40
ObjectKey = tuple[str, str, str]  # kind, namespace, name


@dataclass(frozen=True)
class TreeDiff:
    """Objects added, changed (with a unified diff of their YAML) and removed."""

    added: list[ObjectKey]
    changed: list[tuple[ObjectKey, list[str]]]
    removed: list[ObjectKey]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _objects(files: Mapping[str, str]) -> dict[ObjectKey, Any]:
    """Every named object in `files` (Kustomizations and other unnamed documents skipped)."""
    found: dict[ObjectKey, Any] = {}
    for rel, text in sorted(files.items()):
        for doc in yamlio.load_all(text, rel):
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            if isinstance(meta, dict) and meta.get("name"):
                key = (str(doc.get("kind")), str(meta.get("namespace") or ""), str(meta["name"]))
                found[key] = doc
    return found


def _unified(key: ObjectKey, old: Any, new: Any) -> list[str]:
    label = describe(key)
    lines = list(difflib.unified_diff(yamlio.dump(old).splitlines(),
                                      yamlio.dump(new).splitlines(),
                                      f"{label} (on disk)", f"{label} (rendered)", lineterm="",
                                      n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines"]
    return lines


def describe(key: ObjectKey) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def diff_objects(old_files: Mapping[str, str], new_files: Mapping[str, str]) -> TreeDiff:
    """Compare the objects of the files on disk with those a render writes."""
    old, new = _objects(old_files), _objects(new_files)
    changed = [(key, _unified(key, old[key], new[key]))
               for key in sorted(old.keys() & new.keys()) if old[key] != new[key]]
    return TreeDiff(sorted(new.keys() - old.keys()), changed, sorted(old.keys() - new.keys()))


def diff_text(diff: TreeDiff) -> str:
    """The report: one line per object, changed objects followed by their diff."""
    lines = [f"added: {describe(key)}" for key in diff.added]
    for key, body in diff.changed:
        lines.append(f"changed: {describe(key)}")
        lines += [f"  {line}" for line in body]
    lines += [f"removed: {describe(key)}" for key in diff.removed]
    return "".join(f"{line}\n" for line in lines)
