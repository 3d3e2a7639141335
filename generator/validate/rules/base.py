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
    # (namespace, name) of every Secret an ExternalSecret (creationPolicy Owner or Orphan; Merge
    # and None only fill a Secret that exists) or a VaultStaticSecret (destination.create) makes
    scaffolded: set[tuple[str, str]] = field(default_factory=set)
    # (namespace, name) of every core Secret among the inputs
    secrets: set[tuple[str, str]] = field(default_factory=set)
    # (namespace, name) -> NIM Operator NIMCache object, over every input document
    nim_caches: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _last: tuple[Any, str] | None = field(default=None, repr=False)

    def add(self, obj: Any) -> None:
        """Index what cross-object rules need from one input object."""
        if not isinstance(obj, dict):
            return
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        kind, group = obj.get("kind"), str(obj.get("apiVersion", "")).rpartition("/")[0]
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        if kind == "ServingRuntime" and group == "serving.kserve.io":
            self.serving_runtimes.setdefault((namespace, name), obj)
        elif kind == "ExternalSecret" and group == "external-secrets.io":
            target = spec.get("target")
            target = target if isinstance(target, dict) else {}
            if target.get("creationPolicy", "Owner") in ("Owner", "Orphan"):
                self.scaffolded.add((namespace, str(target.get("name") or name)))
        elif kind == "VaultStaticSecret" and group == "secrets.hashicorp.com":
            destination = spec.get("destination")
            if isinstance(destination, dict) and destination.get("name") \
                    and destination.get("create") is True:
                self.scaffolded.add((namespace, str(destination["name"])))
        elif kind == "Secret" and group == "":
            self.secrets.add((namespace, name))
        elif kind == "Account" and group == "nim.opendatahub.io":
            # odh-model-controller writes `<account>-pull` beside each Account it reconciles
            # (internal/controller/nim/handlers/pull_secret_handler.go)
            self.scaffolded.add((namespace, f"{name}-pull"))
        elif kind == "NIMCache" and group == "apps.nvidia.com":
            self.nim_caches.setdefault((namespace, name), obj)

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
