"""Object-level rules: ConfigMap size, ExternalSecret fields that drift, explicit nulls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator import catalog as catalog_mod
from generator.validate.rules.base import Context, Hit, Rule
from generator.validate.rules.paths import dig, items, jp, kind_of

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ESO_GROUP = "external-secrets.io"
# fields the ExternalSecret v1 CRD defaults: left out, the live object differs from Git
ESO_DEFAULTED = (("spec", "refreshInterval"), ("spec", "target"),
                 ("spec", "target", "creationPolicy"), ("spec", "target", "deletionPolicy"))
ESO_TEMPLATE_DEFAULTED = ("engineVersion", "mergePolicy")


def _server_side(obj: dict[str, Any]) -> bool:
    options = dig(obj, "metadata", "annotations", SYNC_OPTIONS)
    return isinstance(options, str) and "ServerSideApply=true" in [
        o.strip() for o in options.split(",")]


def configmap_size(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM008: under 1 MiB, and over 250 KiB as JSON only with Argo CD server-side apply (the
    size rules of render and `metadata`, from `generator.catalog`)."""
    if kind_of(obj) != ("", "ConfigMap"):
        return
    problem = catalog_mod.size_problem(obj)
    if problem:
        yield "$.data", problem
        return
    if _server_side(obj):
        return
    apply_problem = catalog_mod.client_side_apply_problem(obj)
    if apply_problem:
        yield jp("metadata", "annotations"), apply_problem


def externalsecret_explicit(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM009: an ExternalSecret spells out every field its CRD would default."""
    group, kind = kind_of(obj)
    if (group, kind) != (ESO_GROUP, "ExternalSecret"):
        return
    for path in ESO_DEFAULTED:
        if dig(obj, *path) is None:
            yield jp(*path), _drift(path[-1])
    template = dig(obj, "spec", "target", "template")
    if isinstance(template, dict):
        for field in ESO_TEMPLATE_DEFAULTED:
            if field not in template:
                yield jp("spec", "target", "template", field), _drift(field)
        for index, entry in items(template.get("templateFrom")):
            if "target" not in entry:
                yield jp("spec", "target", "template", "templateFrom", index, "target"), \
                    _drift("target")


def _drift(field: str) -> str:
    return (f"{field} is not set; the operator fills in its default and the live object "
            "drifts from Git (set it explicitly)")


def _nulls(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if value is None:
                yield (*path, str(key))
            else:
                yield from _nulls(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if value is None:
                yield (*path, index)
            else:
                yield from _nulls(value, (*path, index))


def no_nulls(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM010: no explicit nulls (`key:` with no value)."""
    if "null" not in context.text(obj):
        return
    for path in _nulls(obj, ()):
        yield jp(*path), ("explicit null: the API server drops it, JSON schema rejects it and "
                          "GitOps tools show a diff; omit the key")


RULES = (
    Rule("NIM008", "configmap-size", "ConfigMaps over 1 MiB are refused; over 250 KiB as JSON "
         "Argo CD's client-side apply overflows the 256 KiB of annotations, so server-side "
         "apply is required.", configmap_size),
    Rule("NIM009", "externalsecret-explicit", "Fields the ExternalSecret CRD defaults "
         "(refreshInterval, target.creationPolicy, deletionPolicy, template engineVersion and "
         "mergePolicy) show as drift in Argo CD unless Git sets them.",
         externalsecret_explicit),
    Rule("NIM010", "no-nulls", "An explicit null is pruned by the API server, fails "
         "JSON-schema validation and leaves a permanent diff; omit empty keys.", no_nulls),
)
