"""kubeconform schema locations: template expansion, local files and cached URL downloads.

A location is a path or URL template using kubeconform's variables. As in kubeconform, one
that does not end in `json` gets `/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix
}}/{{ .ResourceKind }}{{ .KindSuffix }}.json` appended; a local directory is additionally tried in
the CRD layout `{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json` that `schemas
build` writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError, RemoteServiceError, UsageError

DEFAULT_LOCATION = ("https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/"
                    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
                    "{{ .ResourceKind }}{{ .KindSuffix }}.json")
STANDALONE_SUFFIX = ("/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
                     "{{ .ResourceKind }}{{ .KindSuffix }}.json")
CRD_LAYOUT = "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
VARIABLES = ("NormalizedKubernetesVersion", "StrictSuffix", "ResourceKind",
             "ResourceAPIVersion", "Group", "KindSuffix")
_VAR = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def template_vars(api_version: str, kind: str, k8s_version: str, strict: bool) -> dict[str, str]:
    """The values kubeconform gives each template variable (pkg/registry/registry.go)."""
    group_parts = api_version.split("/")
    kind_suffix = "-" + group_parts[0].split(".")[0].lower()
    if len(group_parts) > 1:
        kind_suffix += "-" + group_parts[1].lower()
    return {
        "NormalizedKubernetesVersion": "master" if k8s_version == "master" else f"v{k8s_version}",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": group_parts[-1],
        "Group": group_parts[0],
        "KindSuffix": kind_suffix,
    }


def expand(template: str, values: dict[str, str]) -> str:
    """Substitute `{{ .Var }}` placeholders; an unknown variable is a usage error."""
    def one(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise UsageError(f"schema location {template!r}: unknown variable .{match[1]} "
                             f"(known: {', '.join(VARIABLES)})")
        return values[match[1]]
    return _VAR.sub(one, template)


def is_url(location: str) -> bool:
    """True for http(s) locations."""
    return location.startswith(("http://", "https://"))


def candidates(location: str) -> tuple[str, ...]:
    """The templates one user-given location stands for, tried in order."""
    if location == "default":
        return (DEFAULT_LOCATION,)
    if location.endswith("json"):
        return (location,)
    base = location.rstrip("/")
    if is_url(location) or "{{" in location:
        return (base + STANDALONE_SUFFIX,)
    return (base + CRD_LAYOUT, base + STANDALONE_SUFFIX)


def check_location(location: str) -> None:
    """Refuse a location whose variables are unknown or whose directory does not exist."""
    for template in candidates(location):
        expand(template, template_vars("g.example/v1", "Kind", "1.0.0", False))
    if not is_url(location) and "{{" not in location and location != "default" \
            and not location.endswith("json") \
            and not Path(location.removeprefix("file://")).is_dir():
        raise UsageError(f"schema location {location!r} is not a directory")


@dataclass
class SchemaSource:
    """Reads schema files by expanded location; URLs are cached on disk by their sha256."""

    cache_dir: Path | None = None

    def load(self, target: str) -> dict[str, Any] | None:
        """The parsed schema at `target`, or None when it does not exist."""
        if is_url(target):
            raw = self._download(target)
            if raw is None:
                return None
        else:
            path = Path(target.removeprefix("file://"))
            if not path.is_file():
                return None
            raw = path.read_bytes()
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise InvalidInputError(f"schema is not valid JSON: {exc}", source=target) from None
        if not isinstance(data, dict):
            raise InvalidInputError("schema is not a JSON object", source=target)
        return data

    def _download(self, url: str) -> bytes | None:
        cache = self._cache_path(url)
        if cache is not None and cache.is_file():
            return cache.read_bytes()
        import httpx

        try:
            response = httpx.get(url, timeout=30.0, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise RemoteServiceError(f"cannot fetch schema {url}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RemoteServiceError(f"cannot fetch schema {url}: HTTP {response.status_code}")
        if cache is not None:
            from generator.writer import atomic_write

            atomic_write(cache, response.text)
        return response.content

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            self.cache_dir = Path(root) / "nim-gitops" / "schemas"
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()
