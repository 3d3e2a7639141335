"""Helpers shared by the rules: JSON paths and safe access to nested fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def jp(*parts: str | int) -> str:
    """`$.spec.containers[0].image` from `("spec", "containers", 0, "image")`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "").replace("-", "").isalnum() and "." not in part:
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


def dig(obj: Any, *keys: str | int) -> Any:
    """`obj[k1][k2]...`, or None as soon as a level is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(obj, list) or key >= len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[key] if isinstance(key, int) else obj.get(key)
    return obj


def items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of a list, keeping only mapping items."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def kind_of(obj: dict[str, Any]) -> tuple[str, str]:
    """(API group, kind)."""
    return str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj.get("kind", ""))


def meta(obj: dict[str, Any], key: str) -> str:
    """A string field of `metadata` (`""` when absent)."""
    value = dig(obj, "metadata", key)
    return value if isinstance(value, str) else ""


def pod_containers(spec: Any, *prefix: str | int
                   ) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(path, container) of `containers` and `initContainers` in a pod-like spec."""
    for field in ("containers", "initContainers"):
        for index, container in items(dig(spec, field)):
            yield (*prefix, field, index), container
