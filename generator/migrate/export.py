"""Reading a live export of a project (`oc get servingruntime,inferenceservice,secret,pvc -o yaml`).

Secrets are reduced to name and type on load: their values are never read or kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.catalog import LAST_APPLIED
from generator.errors import InvalidInputError

NIM_ANNOTATION = "runtimes.opendatahub.io/nvidia-nim"
NIM_IMAGE_PREFIX = "nvcr.io/nim/"
KEY_ENV = "NGC_API_KEY"
_VOLATILE = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields",
             "selfLink")
# Kubernetes' own rules (RFC 1123): names become file and directory names of the migration.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                            r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def api_key_secret(deployment: str) -> str:
    """The key Secret a migrated deployment reads (the one `render` writes)."""
    return f"nim-api-key-{deployment}"


def pull_secret(deployment: str) -> str:
    """The pull Secret a migrated deployment uses (the one `render` writes)."""
    return f"nim-image-pull-{deployment}"


@dataclass(frozen=True)
class Runtime:
    """One ServingRuntime and the secrets it references, by name. `literal_key` when its
    NGC_API_KEY was a literal value: `obj` then references `api_key_secret(name)` instead, and
    the value is kept nowhere."""

    namespace: str
    name: str
    is_nim: bool
    image: str
    container: str | None  # the container whose env holds NGC_API_KEY
    api_key_secret: str | None
    pull_secrets: tuple[str, ...]
    obj: Mapping[str, Any] = field(compare=False, repr=False)
    literal_key: bool = False

    def references(self) -> set[str]:
        """Every secret name this runtime points at."""
        return {*self.pull_secrets, *([self.api_key_secret] if self.api_key_secret else [])}


@dataclass(frozen=True)
class Export:
    """The objects of an export that migration cares about."""

    source: str
    runtimes: tuple[Runtime, ...]
    isvcs: tuple[tuple[str, str, str], ...]  # (namespace, name, runtime)
    objects: frozenset[tuple[str, str, str]]  # (namespace, kind, name) of everything else
    accounts: tuple[tuple[str, str], ...]  # (namespace, name) of nim.opendatahub.io Accounts

    def namespaces(self) -> list[str]:
        """Every namespace the export holds objects of, sorted."""
        found = {r.namespace for r in self.runtimes} | {ns for ns, _, _ in self.isvcs}
        return sorted(found | {ns for ns, _, _ in self.objects})

    def has(self, namespace: str, kind: str, name: str) -> bool:
        return (namespace, kind, name) in self.objects


def _items(docs: list[Any], source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, doc in enumerate(docs):
        where = f"document {index + 1}"
        if isinstance(doc, dict) and isinstance(doc.get("items"), list):
            for j, item in enumerate(doc["items"]):
                yield f"{where} items[{j}]", item
        elif isinstance(doc, dict):
            yield where, doc
        else:
            raise InvalidInputError("expected a Kubernetes object or a List", source=source,
                                    path=where)


def _meta(item: Any, where: str, source: str) -> tuple[str, str, str, dict[str, Any]]:
    if not isinstance(item, dict) or not isinstance(item.get("metadata"), dict):
        raise InvalidInputError("not a Kubernetes object", source=source, path=where)
    meta = item["metadata"]
    kind, name, namespace = item.get("kind"), meta.get("name"), meta.get("namespace")
    for value, field_name in ((kind, "kind"), (name, "metadata.name"),
                              (namespace, "metadata.namespace")):
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"{field_name} is missing (export with oc get ... -o yaml)",
                                    source=source, path=f"{where} {field_name}")
    for value, rule, field_name, allowed in (
            (namespace, _DNS_LABEL, "metadata.namespace", "a DNS label such as team-a"),
            (name, _DNS_SUBDOMAIN, "metadata.name", "a DNS subdomain such as llama-8b")):
        if not rule.fullmatch(value):
            raise InvalidInputError(f"{value!r} is not a Kubernetes name (expected {allowed}: "
                                    "lowercase letters, digits, '-')",
                                    source=source, path=f"{where} {field_name}")
    return str(kind), str(name), str(namespace), meta


def clean(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An exported object without status and server-set metadata: ready to be a resource."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in obj["metadata"].items() if k not in _VOLATILE}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def _without_literal_key(obj: dict[str, Any], name: str) -> tuple[dict[str, Any], str | None]:
    """`obj` with every literal NGC_API_KEY env value replaced by a reference to the key
    Secret the migration creates, and the container that had one (None: there was none). No
    command may write key material into a file, whatever its shape."""
    raw = obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    found = None
    containers = []
    for container in spec.get("containers") or []:
        if isinstance(container, dict) and any(
                isinstance(e, dict) and e.get("name") == KEY_ENV and "value" in e
                for e in container.get("env") or []):
            found = found or str(container.get("name"))
            ref = {"secretKeyRef": {"name": api_key_secret(name), "key": KEY_ENV}}
            container = {**container, "env": [
                {"name": KEY_ENV, "valueFrom": ref}
                if isinstance(e, dict) and e.get("name") == KEY_ENV and "value" in e else e
                for e in container["env"]]}
        containers.append(container)
    if found is None:
        return obj, None
    return {**obj, "spec": {**spec, "containers": containers}}, found


def _runtime(obj: dict[str, Any], name: str, namespace: str, meta: dict[str, Any]) -> Runtime:
    obj, literal = _without_literal_key(obj, name)
    spec = obj.get("spec") or {}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    main = next((c for c in containers if c.get("name") == "kserve-container"),
                containers[0] if containers else {})
    image = str(main.get("image") or "")
    key_secret, key_container = None, None
    for container in containers:
        for env in container.get("env") or []:
            ref = ((env.get("valueFrom") or {}).get("secretKeyRef") or {}) \
                if isinstance(env, dict) else {}
            if env.get("name") == KEY_ENV and ref.get("name"):
                key_secret, key_container = str(ref["name"]), str(container.get("name"))
    pulls = tuple(str(p["name"]) for p in spec.get("imagePullSecrets") or []
                  if isinstance(p, dict) and p.get("name"))
    is_nim = image.startswith(NIM_IMAGE_PREFIX) or \
        NIM_ANNOTATION in (meta.get("annotations") or {})
    return Runtime(namespace, name, is_nim, image, key_container or main.get("name"),
                   key_secret, pulls, clean(obj), literal_key=literal is not None)


def parse_export(text: str, source: str) -> Export:
    """Parse an export: a `List` with `items`, or a stream of objects and Lists."""
    runtimes: list[Runtime] = []
    isvcs: list[tuple[str, str, str]] = []
    objects: set[tuple[str, str, str]] = set()
    accounts: list[tuple[str, str]] = []
    # exported objects are written back as they are: YAML 1.2 core scalars (`on`, `12:30`
    # and `!!binary` text keep their meaning)
    for where, item in _items(yamlio.load_all(text, source, core=True), source):
        kind, name, namespace, meta = _meta(item, where, source)
        if kind == "ServingRuntime":
            runtimes.append(_runtime(item, name, namespace, meta))
        elif kind == "InferenceService":
            model = ((item.get("spec") or {}).get("predictor") or {}).get("model") or {}
            isvcs.append((namespace, name, str(model.get("runtime") or "")))
        else:
            objects.add((namespace, kind, name))
            if kind == "Account" and str(item.get("apiVersion", "")).startswith(
                    "nim.opendatahub.io/"):
                accounts.append((namespace, name))
    return Export(source, tuple(sorted(runtimes, key=lambda r: (r.namespace, r.name))),
                  tuple(sorted(isvcs)), frozenset(objects), tuple(sorted(accounts)))


def load_export(path: Path | str) -> Export:
    """Read and parse an export file."""
    return parse_export(yamlio.read_text(path), str(path))
