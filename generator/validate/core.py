"""Core Kubernetes kinds against the JSON schemas that `kubernetes-validate` bundles offline.

The bundled files (`{kind}-{group}-{version}.json`, kubeconform's standalone naming) refer to a
shared `_definitions.json`; each schema is made self-contained once by inlining those
references (recursive types keep a local `$ref`), so validation never resolves a URI.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from generator.errors import UsageError

_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")
_SIBLINGS_OK = {"description", "default"}


def bundle_root() -> Path:
    """The `kubernetes-json-schema` directory inside the installed package."""
    return Path(str(resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")))


@cache
def bundled_versions() -> tuple[tuple[int, int, int], ...]:
    """Kubernetes versions with bundled schemas, oldest first."""
    found = []
    for entry in bundle_root().iterdir():
        match = _VERSION_DIR.match(entry.name)
        if match:
            found.append((int(match[1]), int(match[2]), int(match[3])))
    return tuple(sorted(found))


def resolve_version(requested: str) -> str:
    """The newest bundled version not newer than `requested` (`1.33` -> `1.33.0`)."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", requested.strip())
    if not match:
        raise UsageError(f"--kubernetes-version {requested!r}: expected MAJOR.MINOR[.PATCH]")
    wanted = (int(match[1]), int(match[2]))
    usable = [v for v in bundled_versions() if v[:2] <= wanted]
    if not usable or wanted > bundled_versions()[-1][:2]:
        first, last = bundled_versions()[0], bundled_versions()[-1]
        raise UsageError(f"--kubernetes-version {requested}: bundled schemas cover "
                         f"{first[0]}.{first[1]} to {last[0]}.{last[1]}")
    return ".".join(str(p) for p in usable[-1])


def core_filename(api_version: str, kind: str) -> str | None:
    """kubeconform's standalone name for a core kind, or None for a non-core group."""
    group, _, version = api_version.rpartition("/")
    if group and "." in group and not group.endswith(".k8s.io"):
        return None
    first = group.split(".")[0] if group else ""
    suffix = f"-{first}-{version}" if first else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


class CoreSchemas:
    """Self-contained schemas of one bundled Kubernetes version (strict or not)."""

    def __init__(self, version: str, strict: bool) -> None:
        self.version = resolve_version(version)
        self.directory = bundle_root() / f"v{self.version}-local{'-strict' if strict else ''}"
        self._defs: dict[str, Any] | None = None

    def _definitions(self) -> dict[str, Any]:
        if self._defs is None:
            raw = json.loads((self.directory / "_definitions.json").read_text("utf-8"))
            self._defs = raw["$defs"]
        return self._defs

    def schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        """The schema of a core kind, or None when the bundle has none for it."""
        name = core_filename(api_version, kind)
        if name is None:
            return None
        path = self.directory / name
        if not path.is_file():
            return None
        return self._self_contained(json.loads(path.read_text("utf-8")))

    def definition(self, name: str) -> dict[str, Any]:
        """One named definition (`io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`)."""
        return self._self_contained({"$ref": f"/api/_definitions.json#/$defs/{name}"})

    def _self_contained(self, schema: dict[str, Any]) -> dict[str, Any]:
        used: dict[str, Any] = {}
        body = self._inline(schema, (), used)
        if used:  # recursive types: keep their definitions alongside
            body = {**body, "$defs": used}
        return body  # type: ignore[no-any-return]

    def _inline(self, node: Any, stack: tuple[str, ...], used: dict[str, Any]) -> Any:
        if isinstance(node, list):
            return [self._inline(item, stack, used) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        match = _REF.match(ref) if isinstance(ref, str) else None
        if match is None:
            return {k: self._inline(v, stack, used) for k, v in node.items()}
        name = match[1]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if name in stack:  # recursion: refer to a local copy instead of inlining forever
            if name not in used:
                used[name] = {}
                used[name].update(self._inline(self._definitions()[name], (), used))
            resolved: Any = {"$ref": f"#/$defs/{name}"}
        else:
            resolved = self._inline(self._definitions()[name], (*stack, name), used)
        if set(siblings) <= _SIBLINGS_OK:
            return resolved
        return {"allOf": [resolved], **self._inline(siblings, stack, used)}
