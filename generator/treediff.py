"""`--diff`: what writing a tree would add, change and remove, shown before anything is written.

A tree of Kubernetes manifests (`render`) is compared object by object, so moving an object
between files or reformatting one is no change; the other trees (`chart`, `migrate render`,
`schemas build`) hold templates, JSON schemas and files that name the same object twice, and
are compared file by file. Either way the report has one line per unit (`added:`, `changed:`
followed by the changed fields and a unified diff, `removed:`). Which units are added, changed
or removed, and which fields changed, is decided by the plan's object-diff model
(`generator.plan.model`), the one `plan` and `rotate --plan` use. Pure functions: the writer
reads the files.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator import yamlio
from generator.plan.model import describe, diff_objects, object_key

MAX_DIFF_LINES = 40
Key = tuple[str, ...]  # sorts the report: (kind, namespace, name) or (relative path,)


@dataclass(frozen=True)
class Unit:
    """One thing the report names: a label and what is compared (an object, a file's text)."""

    label: str
    value: Any

    def lines(self) -> list[str]:
        text = self.value if isinstance(self.value, str) else yamlio.dump(self.value)
        return text.splitlines()


@dataclass(frozen=True)
class TreeDiff:
    """Units added, changed (with a unified diff) and removed, by label."""

    added: list[str]
    changed: list[tuple[str, list[str]]]
    removed: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def object_units(files: Mapping[str, str]) -> dict[Key, Unit]:
    """Every named object in `files` (Kustomizations and other unnamed documents skipped)."""
    found: dict[Key, Unit] = {}
    for source, text in sorted(files.items()):
        for doc in yamlio.load_all(text, source):
            key = object_key(doc)
            if key is not None:
                found[key] = Unit(describe(key), doc)
    return found


def file_units(files: Mapping[str, str]) -> dict[Key, Unit]:
    """One unit per file, labelled with its path."""
    return {(rel,): Unit(rel, text) for rel, text in files.items()}


def _unified(old: Unit, new: Unit, new_side: str, fields: str) -> list[str]:
    lines = list(difflib.unified_diff(old.lines(), new.lines(), f"{old.label} (on disk)",
                                      f"{new.label} ({new_side})", lineterm="", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines"]
    return [f"fields: {fields}", *lines] if fields else lines


def diff_units(old: Mapping[Key, Unit], new: Mapping[Key, Unit], new_side: str) -> TreeDiff:
    """Compare the units on disk with those the run writes (`new_side` names the latter)."""
    found = diff_objects({k: u.value for k, u in old.items()}, {k: u.value for k, u in new.items()})
    changed = [(new[c.key].label, _unified(old[c.key], new[c.key], new_side, c.shown_fields()))
               for c in found.changed]
    return TreeDiff([new[key].label for key in found.added], changed,
                    [old[key].label for key in found.removed])


def diff_text(diff: TreeDiff) -> str:
    """The report: one line per unit, changed units followed by their diff."""
    lines = [f"added: {label}" for label in diff.added]
    for label, body in diff.changed:
        lines.append(f"changed: {label}")
        lines += [f"  {line}" for line in body]
    lines += [f"removed: {label}" for label in diff.removed]
    return "".join(f"{line}\n" for line in lines)
