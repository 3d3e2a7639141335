"""The one object-diff model: objects keyed by (kind, namespace, name), compared field by field.

`plan`, `render --diff` (through `generator.treediff`) and `rotate --plan` all use it, so an
object is "added", "changed" or "removed" by the same rule everywhere, and a change names the
same field paths (`spec.predictor.annotations["nim-gitops.opendatahub.io/key-revision"]`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ObjectKey = tuple[str, str, str]  # (kind, namespace, name); namespace "" when cluster-scoped
MAX_FIELDS = 12  # field paths kept per changed object; the rest counted
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def object_key(obj: Any) -> ObjectKey | None:
    """The key of a named object, or None (a Kustomization, a list, anything unnamed)."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict) or not meta.get("name"):
        return None
    return str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta["name"])


def describe(key: ObjectKey) -> str:
    """`Kind namespace/name`, or `Kind name` when cluster-scoped."""
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def index(objects: Iterable[Any]) -> dict[ObjectKey, Any]:
    """Named objects by key (a later object with the same key wins, as `kubectl apply`)."""
    found: dict[ObjectKey, Any] = {}
    for obj in objects:
        key = object_key(obj)
        if key is not None:
            found[key] = obj
    return found


def _step(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    text = str(key)
    if _PLAIN.fullmatch(text):
        return f"{path}.{text}" if path else text
    return f'{path}["{text}"]'


def field_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths of the leaves that differ between `old` and `new`, sorted: mappings are
    walked key by key (one that appears or goes, as if empty on the other side), lists of the
    same length item by item, anything else compared whole."""
    if old == new:
        return []
    if (isinstance(old, dict) and new is None) or (old is None and isinstance(new, dict)):
        old, new = old or {}, new or {}  # a mapping that appears or goes: name its leaves
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            out += field_paths(old.get(key), new.get(key), _step(path, key))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new, strict=True))
                for p in field_paths(a, b, _step(path, i))]
    return [path]


@dataclass(frozen=True)
class ObjectChange:
    """One object in both sides that differs, with the field paths that changed."""

    key: ObjectKey
    fields: tuple[str, ...]

    def touches(self, prefix: str) -> bool:
        """Whether a changed field is `prefix` or lies below it."""
        return any(f == prefix or f.startswith((prefix + ".", prefix + "[")) for f in self.fields)

    def shown_fields(self) -> str:
        """The changed fields for a report line, cut at MAX_FIELDS."""
        shown = ", ".join(self.fields[:MAX_FIELDS])
        more = len(self.fields) - MAX_FIELDS
        return f"{shown} (and {more} more)" if more > 0 else shown


@dataclass(frozen=True)
class ObjectDiff:
    """Objects added, changed and removed, each sorted by key."""

    added: tuple[ObjectKey, ...] = ()
    changed: tuple[ObjectChange, ...] = ()
    removed: tuple[ObjectKey, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def change_of(self, key: ObjectKey) -> ObjectChange | None:
        return next((c for c in self.changed if c.key == key), None)


def diff_objects(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> ObjectDiff:
    """Compare two keyed sets of objects (or of any values: a value that is not a mapping
    changes as a whole and names no field)."""
    changed = tuple(ObjectChange(key, tuple(p for p in field_paths(old[key], new[key]) if p)
                                 if isinstance(old[key], dict) else ())
                    for key in sorted(old.keys() & new.keys()) if old[key] != new[key])
    return ObjectDiff(tuple(sorted(new.keys() - old.keys())), changed,
                      tuple(sorted(old.keys() - new.keys())))
