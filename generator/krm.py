"""`nim-gitops krm`: the kustomize generator, as a KRM function and as a legacy exec plugin.

KRM function: a `ResourceList` (config.kubernetes.io/v1) on stdin whose `functionConfig` is a
NimGitOps object; the rendered objects are appended to `items` and the list is written back.
Legacy exec plugin: the plugin config (the same NimGitOps object) is a file named by the first
argument, and the output is a plain YAML stream. In both modes a catalog `file` and the digest
lock are relative to the working directory, which kustomize sets to the kustomization root.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.config import API_VERSION, KIND, Lines, parse_config
from generator.errors import InvalidInputError, NimGitopsError

RESOURCE_LIST_KIND = "ResourceList"
RESOURCE_LIST_VERSION = "config.kubernetes.io/v1"
ACCEPTED_VERSIONS = (RESOURCE_LIST_VERSION, "config.kubernetes.io/v1beta1")
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
# A ResourceList costs about 40 times its size in memory while it is parsed, merged and written
# back (7.5 MB in, 322 MB peak RSS, measured): 16 MiB keeps the function under 700 MB, inside
# a kustomize or Argo CD repo-server container's usual limit, where 64 MiB ended in a
# MemoryError (exit 70) and no output.
MAX_RESOURCE_LIST_BYTES = 16 * 1024 * 1024
LOCK_STEM = "nim-gitops.yaml"  # the lock is <kustomization root>/nim-gitops.lock.yaml
FUNCTION_CONFIG = "functionConfig"


def generate(data: Any, source: str, base_dir: Path, lines: Lines | None = None,
             ) -> tuple[list[dict[str, Any]], list[str]]:
    """Render one NimGitOps object: (objects, warnings). Paths resolve against `base_dir`."""
    from generator.pipeline import pinned
    from generator.render import render_objects
    from generator.resolve import resolve

    config = parse_config(data, source, base_dir, lines)
    plan = resolve(config)
    if config.air_gap and config.air_gap.pin_digests:
        _confined_lock(base_dir, source)
    plan = pinned(plan, base_dir / LOCK_STEM)
    return [item.obj for item in render_objects(plan)], list(plan.warnings)


def _confined_lock(base_dir: Path, source: str) -> None:
    """The digest lock must stay inside the kustomization root once symlinks are resolved."""
    from generator.airgap.lock import lock_path

    lock = lock_path(base_dir / LOCK_STEM)
    if lock.exists() and not lock.resolve().is_relative_to(base_dir.resolve()):
        raise InvalidInputError(f"{lock.name} points outside the kustomization root",
                                source=source, path="spec.airGap.pinDigests")


def _identity(obj: Any) -> tuple[str, str, str, str] | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        return None
    meta = obj["metadata"]
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
            str(meta.get("namespace", "")), str(meta.get("name", "")))


def _without_orchestrator_annotations(obj: Any) -> Any:
    """`obj` without the annotations kustomize and kpt add to items (`config.kubernetes.io/*`,
    `internal.config.kubernetes.io/*`): what tells whether an item is one this function made."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        return obj
    meta = dict(obj["metadata"])
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if not k.startswith(("config.kubernetes.io/",
                                        "internal.config.kubernetes.io/"))}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**obj, "metadata": meta}


def merge_items(existing: Sequence[Any], generated: Sequence[dict[str, Any]]
                ) -> tuple[list[Any], list[str]]:
    """(the output items, warnings): existing items, then the generated objects.

    An existing item with a generated object's identity is replaced only when it is that
    object (an earlier run's output: repeated runs stay idempotent). One that differs is the
    user's: it is kept, the generated object is left out, and a warning names it.
    """
    ours = {_identity(obj): obj for obj in generated}
    kept: list[Any] = []
    theirs: set[tuple[str, str, str, str] | None] = set()
    warnings: list[str] = []
    for index, item in enumerate(existing):
        identity = _identity(item)
        if identity not in ours:
            kept.append(item)
        elif _without_orchestrator_annotations(item) != ours[identity]:
            kept.append(item)
            theirs.add(identity)
            api_version, kind, namespace, name = identity or ("", "", "", "")
            warnings.append(f"items[{index}] {kind}/{namespace + '/' if namespace else ''}"
                            f"{name} ({api_version}) is not what nim-gitops generates for it; "
                            "kept as it is, and the generated object left out")
    return [*kept, *(obj for obj in generated if _identity(obj) not in theirs)], warnings


def parse_resource_list(text: str, source: str = "<stdin>") -> dict[str, Any]:
    """Load and check a ResourceList document. Its items are passed through, so it is read
    with YAML 1.2's core schema, as kustomize and kpt (kyaml) read it: `12:30`, `on` and
    `!!binary` text stay as written, in the items and the functionConfig alike."""
    doc = yamlio.load_one(text, source, core=True) if text.strip() else None
    if not isinstance(doc, dict) or doc.get("kind") != RESOURCE_LIST_KIND:
        raise InvalidInputError(f"expected a {RESOURCE_LIST_KIND} on stdin (or a config file "
                                "argument for the legacy exec plugin)", source=source)
    if doc.get("apiVersion") not in ACCEPTED_VERSIONS:
        raise InvalidInputError(f"apiVersion must be {RESOURCE_LIST_VERSION}", source=source,
                                path="apiVersion")
    items = doc.get("items", [])
    if not isinstance(items, list):
        raise InvalidInputError("must be a list", source=source, path="items")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInputError("must be a Kubernetes object (a mapping)", source=source,
                                    path=f"items[{index}]")
    if not isinstance(doc.get(FUNCTION_CONFIG), dict):
        raise InvalidInputError(f"a {KIND} functionConfig is required", source=source,
                                path=FUNCTION_CONFIG)
    fc = doc[FUNCTION_CONFIG]
    if (fc.get("apiVersion"), fc.get("kind")) != (API_VERSION, KIND):
        raise InvalidInputError(
            f"functionConfig must be a {KIND} object (apiVersion {API_VERSION}), "
            f"not {fc.get('apiVersion')}/{fc.get('kind')}", source=source, path=FUNCTION_CONFIG)
    return doc


def function_config_source(function_config: dict[str, Any]) -> str:
    """How errors name the functionConfig: its file when kustomize/kpt says, else its name."""
    meta = function_config.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict):
        for key in PATH_ANNOTATIONS:
            if isinstance(annotations.get(key), str):
                return str(annotations[key])
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"functionConfig {function_config.get('kind', '?')}/{name or '?'}"


def result(message: str, severity: str, error: NimGitopsError | None = None) -> dict[str, Any]:
    """One `results` entry; a located InvalidInputError also fills `field` and `file`."""
    entry: dict[str, Any] = {"message": message, "severity": severity}
    if isinstance(error, InvalidInputError):
        entry["message"] = error.message
        if error.path:
            entry["field"] = {"path": error.path}
        if error.source and not error.source.startswith(("<", FUNCTION_CONFIG)):
            entry["file"] = {"path": error.source}
    return entry


def resource_list(items: Sequence[Any], results: Sequence[dict[str, Any]]) -> str:
    """The output ResourceList (v1), `results` only when there are any."""
    doc: dict[str, Any] = {"apiVersion": RESOURCE_LIST_VERSION, "kind": RESOURCE_LIST_KIND,
                           "items": list(items)}
    if results:
        doc["results"] = list(results)
    return yamlio.dump(doc)


def run_function(raw: bytes, base_dir: Path,
                 ) -> tuple[str, list[str], NimGitopsError | None]:
    """The KRM function: (output ResourceList text, warnings, the error that fails the run)."""
    items: list[Any] = []
    try:
        if len(raw) > MAX_RESOURCE_LIST_BYTES:
            raise InvalidInputError(f"more than {MAX_RESOURCE_LIST_BYTES:,} bytes on stdin "
                                    "(the KRM function holds about 40 times its input in memory)",
                                    source="<stdin>")
        text = yamlio.decode(raw, "<stdin>")
        doc = parse_resource_list(text)
        items = doc.get("items") or []
        function_config = doc[FUNCTION_CONFIG]
        if "*" in text:  # its aliases get a config's budget, as in a config file
            yamlio.check_config_expansion(function_config, function_config_source(
                function_config), len(text))
        generated, warnings = generate(function_config, function_config_source(function_config),
                                       base_dir)
    except NimGitopsError as exc:
        return resource_list(items, [result(str(exc), "error", exc)]), [], exc
    merged, replaced = merge_items(items, generated)
    warnings = [*warnings, *replaced]
    results = [result(w, "warning") for w in warnings]
    return resource_list(merged, results), warnings, None


def run_legacy(config_path: Path, base_dir: Path, plugin_root: str | None = None,
               ) -> tuple[str, list[str]]:
    """The legacy exec plugin: (YAML stream, warnings); raises on any error.

    Under kustomize (`plugin_root` = KUSTOMIZE_PLUGIN_CONFIG_ROOT) the file is kustomize's
    temporary copy, so errors name the object and the kustomization instead of its lines.
    """
    source = str(config_path)
    data, lines = yamlio.load_with_lines(yamlio.read_text(config_path), source)
    if plugin_root:
        meta = data.get("metadata") if isinstance(data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        source = f"{KIND} {name or '?'} (generator of {plugin_root})"
        lines = {}
    generated, warnings = generate(data, source, base_dir, lines)
    return yamlio.dump_all(generated), warnings
