"""What every rule module shares: the rule record and the context of the input set."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Hit = tuple[str, str]  # (JSON path, message)


@dataclass
class Context:
    """What rules may know beyond the object itself: options and the whole input set."""

    mirrors: tuple[str, ...] = ()
    # (namespace, name) -> ServingRuntime object, over every input document
    serving_runtimes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _last: tuple[Any, str] | None = field(default=None, repr=False)

    def add(self, obj: Any) -> None:
        """Index what cross-object rules need from one input object."""
        if isinstance(obj, dict) and obj.get("kind") == "ServingRuntime" and str(
                obj.get("apiVersion", "")).startswith("serving.kserve.io/"):
            meta = obj.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            self.serving_runtimes.setdefault(key, obj)

    def text(self, obj: Any) -> str:
        """`obj` as compact JSON, for cheap substring pre-checks (cached for the last object)."""
        if self._last is None or self._last[0] is not obj:
            self._last = (obj, json.dumps(obj, separators=(",", ":"), default=str))
        return self._last[1]


@dataclass(frozen=True)
class Rule:
    """One policy rule."""

    id: str
    name: str
    rationale: str
    check: Callable[[dict[str, Any], Context], Iterable[Hit]]
