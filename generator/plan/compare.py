"""Two renders of a config, compared by project and deployment: what is added, removed and
changed (config fields), the GPUs, which predictors restart and why, what is pulled and
downloaded, and what Argo CD or Flux prune.

A predictor restarts when its pod template changes, read from the object diff
(`generator.plan.model`): an InferenceService's `spec.predictor` other than its replica
bounds, a ServingRuntime's containers, volumes and pull secrets (the predictor's pod spec is
merged from them), a NIMService's spec other than replicas, scale and expose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.models import Deployment, Plan
from generator.plan.model import ObjectChange, ObjectDiff, ObjectKey, diff_objects, index
from generator.plan.rollout import rolling_update

# kind -> (field prefixes that form the predictor's pod template, prefixes that do not)
POD_TEMPLATE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "InferenceService": (("spec.predictor",),
                         ("spec.predictor.minReplicas", "spec.predictor.maxReplicas")),
    "ServingRuntime": (("spec.containers", "spec.volumes", "spec.imagePullSecrets",
                        "spec.nodeSelector", "spec.tolerations", "spec.affinity"), ()),
    "NIMService": (("spec",), ("spec.replicas", "spec.scale", "spec.expose")),
}
# deployment field -> why its change restarts the predictor, as a report says it
REASONS = {"tag": "tag", "image": "image", "keyRevision": "key revision",
           "gpus": "resources", "resources.requests": "resources",
           "resources.limits": "resources", "model": "model", "protocol": "runtime",
           "backend": "backend", "cache": "cache", "hardwareProfile": "hardware profile",
           "apiKey": "key source", "storage.size": "cache", "storage.storageClassName": "cache"}
# a changed object field -> the reason, when no deployment field explains it
_PATH_REASONS = (("key-revision", "key revision"), ("resources", "resources"),
                 ("env", "env"), ("image", "image"), ("ServingRuntime", "runtime"))
DEFAULT_ARCH = "amd64"
# DeploymentSpec fields `deployment_fields` names itself, or leaves out (the name is the key,
# the path moves when deployments are reordered, allowFloatingTags shows through the tag)
_SPEC_COVERED = frozenset({
    "name", "path", "model", "tag", "allow_floating_tags", "backend", "protocol",
    "display_name", "replicas", "gpus", "storage_size", "storage_class", "requests", "limits",
    "hardware_profile", "api_key_remote_ref", "api_key_vault", "key_required", "cache",
    "key_revision"})


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a label (`origin/main:nim-gitops.yaml`), the resolved plan
    (None when the config does not exist there) and its rendered objects by key."""

    label: str
    plan: Plan | None
    objects: Mapping[ObjectKey, Any] = field(default_factory=dict)

    @cached_property  # read by every section of the comparison: built once
    def deployments(self) -> dict[tuple[str, str], Deployment]:
        return {(d.project, d.name): d for d in self.plan.deployments} if self.plan else {}

    @property
    def projects(self) -> list[str]:
        return [p.name for p in self.plan.config.projects] if self.plan else []


def side_of(label: str, plan: Plan | None, objects: Iterable[Any] = ()) -> Side:
    """A side from a plan and its rendered objects (`render_objects(plan)`'s `.obj`s)."""
    return Side(label, plan, index(objects))


@dataclass(frozen=True)
class FieldChange:
    """One config field of a deployment that differs: its name as written in the config."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class DeploymentDelta:
    """A deployment that is added, removed or changed."""

    project: str
    name: str
    status: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()
    gpus_before: int = 0
    gpus_after: int = 0


@dataclass(frozen=True)
class Restart:
    """A predictor whose pods roll: why, how big it is, and the room the rollout needs."""

    project: str
    name: str
    backend: str
    workload: str  # what rolls: `Deployment <name>-predictor` or `NIMService <name>`
    reasons: tuple[str, ...]
    replicas: int
    gpus_per_pod: int
    surge: int
    unavailable: int
    autoscaled: bool = False  # `replicas` is then the upper bound (maxReplicas)

    @property
    def surge_gpus(self) -> int:
        """GPUs the extra pods need while the rollout runs."""
        return self.surge * self.gpus_per_pod


@dataclass(frozen=True)
class Pull:
    """An image the head runs that the base did not: its compressed size for `arch` from the
    extended details (None: unknown, the details describe only each model's latest tag)."""

    image: str
    deployments: tuple[str, ...]
    size: int | None


@dataclass(frozen=True)
class Download:
    """Model weights a deployment's cache fills: from NGC or the config's cache.source, into
    a cache of `bound` (the weights' size is in no file nim-gitops reads)."""

    project: str
    name: str
    source: str
    bound: str
    why: str


@dataclass(frozen=True)
class Comparison:
    """Everything the reports show, except the findings (`generator.plan.findings`)."""

    base: Side
    head: Side
    objects: ObjectDiff
    deployments: tuple[DeploymentDelta, ...]
    gpus: Mapping[str, tuple[int, int]]  # project -> (base, head)
    restarts: tuple[Restart, ...]
    pulls: tuple[Pull, ...]
    downloads: tuple[Download, ...]
    arch: str = DEFAULT_ARCH

    @property
    def gpus_total(self) -> tuple[int, int]:
        return (sum(b for b, _ in self.gpus.values()), sum(h for _, h in self.gpus.values()))

    @property
    def surge_gpus(self) -> dict[str, int]:
        """Per project, the GPUs its rolling restarts need on top of the head's."""
        out: dict[str, int] = {}
        for r in self.restarts:
            out[r.project] = out.get(r.project, 0) + r.surge_gpus
        return out

    @property
    def prunes(self) -> tuple[ObjectKey, ...]:
        """Objects the base rendered and the head does not: Argo CD (prune) and Flux (prune:
        true) delete them from the cluster; Namespaces first, as they take the most."""
        return tuple(sorted(self.objects.removed, key=lambda k: (k[0] != "Namespace", k)))


def _plain(value: Any) -> Any:
    """A value as JSON would hold it: dataclasses as mappings, tuples as lists, paths as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def deployment_fields(d: Deployment) -> dict[str, Any]:
    """What a reviewer compares of a deployment, by config field name; the tag and key
    revision as resolved (a tag left out is the catalog's newest, a project's revision is
    each of its deployments')."""
    s = d.spec
    api_key = {"remoteRef": s.api_key_remote_ref, "vault": s.api_key_vault,
               "required": s.key_required}
    named = {
        "model": d.model.name, "tag": d.tag, "image": d.image, "backend": s.backend,
        "protocol": s.protocol, "displayName": s.display_name, "replicas": s.replicas,
        "gpus": s.gpus, "storage.size": s.storage_size,
        "storage.storageClassName": s.storage_class, "resources.requests": s.requests,
        "resources.limits": s.limits, "hardwareProfile": s.hardware_profile,
        "apiKey": api_key, "cache": s.cache, "keyRevision": d.key_revision,
    }
    # any other field of the spec (a serving option added later) under its camelCase name
    for f in dataclasses.fields(s):
        if f.name not in _SPEC_COVERED:
            head, *rest = f.name.split("_")
            named[head + "".join(part.title() for part in rest)] = getattr(s, f.name)
    return named


def _field_changes(old: Deployment, new: Deployment) -> tuple[FieldChange, ...]:
    a, b = deployment_fields(old), deployment_fields(new)
    if a["tag"] != b["tag"]:
        del a["image"], b["image"]  # the tag says it; the image differs by a digest only
    return tuple(FieldChange(k, _plain(a[k]), _plain(b[k])) for k in a if a[k] != b[k])


def _gpus(d: Deployment | None) -> int:
    return d.spec.scaling[1] * d.spec.gpus if d is not None else 0


def _template_change(change: ObjectChange | None) -> tuple[str, ...]:
    """The fields of `change` that lie in a predictor's pod template."""
    if change is None:
        return ()
    inside, outside = POD_TEMPLATE.get(change.key[0], ((), ()))
    return tuple(f for f in change.fields
                 if any(f == p or f.startswith((p + ".", p + "[")) for p in inside)
                 and not any(f == p or f.startswith((p + ".", p + "[")) for p in outside))


def _reasons(fields: tuple[FieldChange, ...], paths: list[tuple[str, str]]) -> tuple[str, ...]:
    """Why a predictor restarts: the deployment fields that changed, in words with their
    values, else what the changed object fields are about."""
    out: list[str] = []
    for c in fields:
        why = REASONS.get(c.field)
        if why is None:
            continue
        text = f"{why} {_short(c.old)} -> {_short(c.new)}" if why in (
            "tag", "key revision", "model") else why
        if c.field == "gpus":
            text = f"resources (gpus {c.old} -> {c.new})"
        if text not in out:
            out.append(text)
    if out:
        return tuple(out)
    for kind, path in paths:
        text = next((why for needle, why in _PATH_REASONS if needle in f"{kind} {path}"),
                    f"{kind} {path}")
        if text not in out:
            out.append(text)
    return tuple(out)


def _short(value: Any) -> str:
    return "unset" if value is None else str(value)


def _restart(d: Deployment, diff: ObjectDiff, fields: tuple[FieldChange, ...]
             ) -> Restart | None:
    replicas = d.spec.scaling[1]  # an autoscaled predictor at its upper bound
    if not replicas:
        return None
    kinds = ("NIMService",) if d.spec.backend == "nim-operator" else \
        ("InferenceService", "ServingRuntime")
    paths = [(kind, p) for kind in kinds
             for p in _template_change(diff.change_of((kind, d.project, d.name)))]
    if not paths:
        return None
    roll = rolling_update(d.spec.backend, replicas)
    workload = f"NIMService {d.name}" if d.spec.backend == "nim-operator" else \
        f"Deployment {d.name}-predictor"
    return Restart(d.project, d.name, d.spec.backend, workload, _reasons(fields, paths),
                   replicas, d.spec.gpus, roll.surge, roll.unavailable,
                   autoscaled=len(set(d.spec.scaling)) > 1)


def restarts(base: Side, head: Side, diff: ObjectDiff) -> tuple[Restart, ...]:
    """The predictors, present on both sides, whose pod template changes."""
    old = base.deployments
    found = []
    for key, d in sorted(head.deployments.items()):
        if key in old and old[key].spec.backend == d.spec.backend:
            r = _restart(d, diff, _field_changes(old[key], d))
            if r is not None:
                found.append(r)
    return tuple(found)


def _pulls(base: Side, head: Side, arch: str) -> tuple[Pull, ...]:
    before = {d.image for d in base.deployments.values()}
    users: dict[str, list[Deployment]] = {}
    for _, d in sorted(head.deployments.items()):
        if d.image not in before:
            users.setdefault(d.image, []).append(d)
    details = head.plan.details if head.plan else {}
    out = []
    for image, ds in sorted(users.items()):
        d = ds[0]
        found = details.get(d.model.name)
        variant = found.variants.get(arch) if found and found.latest_tag == d.tag else None
        out.append(Pull(image, tuple(f"{x.project}/{x.name}" for x in ds),
                        variant.size if variant else None))
    return tuple(out)


def _downloads(base: Side, head: Side, diff: ObjectDiff) -> tuple[Download, ...]:
    """Caches filled anew: a cache PVC the base did not render, or a changed tag or profile
    list on an existing one (a new NIM version may want other weights)."""
    old = base.deployments
    out = []
    for key, d in sorted(head.deployments.items()):
        pvc = ("PersistentVolumeClaim", d.project, d.pvc_name)
        if pvc in diff.added:
            why = "new cache"
        elif key in old and (old[key].tag != d.tag or
                             old[key].spec.cache.profiles != d.spec.cache.profiles):
            why = "tag or profiles changed: the NIM fetches what its cache lacks"
        else:
            continue
        src = d.spec.cache.source
        source = f"{src.kind} {src.location}" if src else "NGC"
        out.append(Download(d.project, d.name, source, d.spec.storage_size, why))
    return tuple(out)


def compare(base: Side, head: Side, *, arch: str = DEFAULT_ARCH) -> Comparison:
    """Compare the base with the head (both rendered)."""
    diff = diff_objects(base.objects, head.objects)
    old, new = base.deployments, head.deployments
    deltas = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            deltas.append(DeploymentDelta(*key, "added" if a is None else "removed",
                                          gpus_before=_gpus(a), gpus_after=_gpus(b)))
            continue
        fields = _field_changes(a, b)
        if fields:
            deltas.append(DeploymentDelta(*key, "changed", fields, _gpus(a), _gpus(b)))
    gpus: dict[str, tuple[int, int]] = {}
    for project in dict.fromkeys([*base.projects, *head.projects]):
        gpus[project] = (sum(_gpus(d) for (p, _), d in old.items() if p == project),
                         sum(_gpus(d) for (p, _), d in new.items() if p == project))
    return Comparison(base, head, diff, tuple(deltas), dict(sorted(gpus.items())),
                      restarts(base, head, diff), _pulls(base, head, arch),
                      _downloads(base, head, diff), arch)
