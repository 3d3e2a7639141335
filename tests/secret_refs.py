"""Which Secrets a set of rendered objects names and which it creates, for tests that check
no object references a Secret nobody creates (render and chart alike)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# fields whose value is a Secret's name (NIMCache source.ngc, NIMService spec)
NAME_FIELDS = frozenset({"authSecret", "pullSecret", "secretName"})
# fields holding {name: ...} of a Secret (env valueFrom, envFrom, the Account's key)
REF_FIELDS = frozenset({"secretKeyRef", "secretRef", "apiKeySecret"})
# lists of Secret names or {name: ...} (pod imagePullSecrets, NIMService image.pullSecrets)
LIST_FIELDS = frozenset({"imagePullSecrets", "pullSecrets"})


def _names(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if key in NAME_FIELDS and isinstance(value, str):
                yield where, value
            elif key in REF_FIELDS and isinstance(value, dict) and "name" in value:
                yield where, str(value["name"])
            elif key in LIST_FIELDS and isinstance(value, list):
                for i, entry in enumerate(value):
                    name = entry.get("name") if isinstance(entry, dict) else entry
                    yield f"{where}[{i}]", str(name)
            else:
                yield from _names(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _names(value, f"{path}[{i}]")


def referenced(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, Secret name) of every Secret `obj` names outside the scaffolds."""
    if obj.get("kind") in ("ExternalSecret", "VaultStaticSecret", "Secret"):
        return
    yield from _names(obj.get("spec"), "spec")


def created(objects: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(namespace, name) of every Secret the objects create: core Secrets, the targets of
    ExternalSecrets and VaultStaticSecrets, and the `<account>-pull` Secret odh-model-
    controller writes beside each Account (57b43aad, handlers/pull_secret_handler.go)."""
    out = set()
    for obj in objects:
        meta, spec = obj.get("metadata", {}), obj.get("spec") or {}
        namespace = str(meta.get("namespace", ""))
        if obj.get("kind") == "Secret":
            out.add((namespace, str(meta["name"])))
        elif obj.get("kind") == "ExternalSecret":
            out.add((namespace, str(spec.get("target", {}).get("name") or meta["name"])))
        elif obj.get("kind") == "VaultStaticSecret":
            out.add((namespace, str(spec["destination"]["name"])))
        elif obj.get("kind") == "Account":
            out.add((namespace, f"{meta['name']}-pull"))
    return out


def dangling(objects: list[dict[str, Any]], provided: Iterable[str] = ()) -> list[str]:
    """`Kind/name field -> Secret` for every reference to a Secret that neither the objects
    create nor `provided` (Secrets the docs say the user or platform supplies) names."""
    made, given = created(objects), set(provided)
    return [f"{obj['kind']}/{obj['metadata']['name']} {where} -> {name}"
            for obj in objects for where, name in referenced(obj)
            if name not in given
            and (str(obj["metadata"].get("namespace", "")), name) not in made]
