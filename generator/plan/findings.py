"""What a reviewer must see before a change syncs: one finding per harm, one line each, naming
the fix.

Each kind is one function from the `Comparison` to findings, listed in `CHECKS`; `render` and
`config check` use the same wording through the message functions below. To add a kind (for
example "a new external route"): write `def routes_exposed(c: Comparison) -> Iterator[Finding]`
that compares `c.base.objects` with `c.head.objects`, and append it to `CHECKS`. The reports and
the JSON schema take any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from generator.plan.compare import Comparison, Side
from generator.plan.model import ObjectKey, describe

DANGER = "danger"
WARNING = "warning"
PRUNE_OFF = ("argocd.argoproj.io/sync-options=Prune=false (Argo CD) or "
             "kustomize.toolkit.fluxcd.io/prune=disabled (Flux)")


@dataclass(frozen=True)
class Finding:
    """One thing to look at: its kind, how loud, the line, and the project it concerns."""

    kind: str
    severity: str  # danger | warning
    message: str
    project: str | None = None


def namespace_removed(name: str) -> str:
    """The one line for a managed Namespace that the render drops."""
    return (f"managed Namespace {name} is no longer rendered: Argo CD or Flux will delete it "
            f"and everything in it; to keep it, annotate it on the cluster with {PRUNE_OFF} "
            f"before this syncs, or keep project {name} in the config")


def namespace_adopted(name: str, why: str) -> str:
    """The one line for an existing namespace that becomes managed (`why`: how Git shows that
    it exists)."""
    return (f"project {name}: namespace.manage: true adopts an existing namespace ({why}): Argo "
            "CD or Flux will own it and delete it, with everything in it, if the project is "
            "ever removed; keep namespace.manage: false unless it should live and die with the "
            "project")


def tree_namespace_warnings(root: str, removed: Iterable[str], added: Iterable[str],
                            recorded: Iterable[str]) -> list[str]:
    """`render`'s namespace warnings from the tree alone: a `projects/<p>/namespace-<p>.yaml`
    that the last render wrote and this one removes (`removed`), or that this one adds
    (`added`) where the last render wrote the project's other objects but no Namespace."""
    def namespace(rel: str) -> str | None:
        parts = rel.split("/")
        if len(parts) == 3 and parts[0] == "projects" and parts[2] == f"namespace-{parts[1]}.yaml":
            return parts[1]
        return None

    before = set(recorded)
    # the projects the last render wrote files for (`projects/<p>/...`)
    held = {parts[1] for parts in (r.split("/", 2) for r in before)
            if len(parts) == 3 and parts[0] == "projects"}
    out = [namespace_removed(name) for name in map(namespace, removed) if name]
    for rel in added:
        name = namespace(rel)
        if name and rel not in before and name in held:
            out.append(namespace_adopted(name, f"{root}/projects/{name} held its objects "
                                               "without a Namespace"))
    return out


def _namespaces(side: Side) -> set[str]:
    return {name for kind, _, name in side.objects if kind == "Namespace"}


def _used(side: Side) -> set[str]:
    return {namespace for _, namespace, _ in side.objects if namespace}


def pruned_namespaces(c: Comparison) -> Iterator[Finding]:
    """A managed Namespace the base rendered and the head does not."""
    for name in sorted(_namespaces(c.base) - _namespaces(c.head)):
        yield Finding("namespace-pruned", DANGER, namespace_removed(name), name)


def adopted_namespaces(c: Comparison) -> Iterator[Finding]:
    """A namespace the base deployed into without owning it that the head now owns."""
    unmanaged = _used(c.base) - _namespaces(c.base)
    for name in sorted((_namespaces(c.head) - _namespaces(c.base)) & unmanaged):
        yield Finding("namespace-adopted", WARNING,
                      namespace_adopted(name, "the base deploys into it without managing it"),
                      name)


def config_warnings(c: Comparison) -> Iterator[Finding]:
    """What resolving the head's config warns about (air-gapped caches, unread settings...)."""
    for line in c.head.plan.warnings if c.head.plan else ():
        yield Finding("config-warning", WARNING, line)


def _rule_hits(side: Side, namespaces: set[str]) -> set[tuple[str, str, str, str]]:
    """Rule findings of the objects in `namespaces` (and the cluster-scoped ones), checked
    against the whole side."""
    from generator.validate.rules import Context, run_rules

    mirrors = (side.plan.config.air_gap.mirror,) if side.plan and side.plan.config.air_gap \
        else ()
    context = Context(mirrors=mirrors)
    for obj in side.objects.values():
        context.add(obj)
    hits = set()
    for key, obj in side.objects.items():
        if key[1] and key[1] not in namespaces:
            continue
        for rule, path, message in run_rules(obj, context, frozenset()):
            hits.add((rule, _label(key), path, message))
    return hits


def _label(key: ObjectKey) -> str:
    return describe(key)


def new_rule_findings(c: Comparison) -> Iterator[Finding]:
    """NIM rule findings (`nim-gitops validate`, docs/rules.md) the head has and the base has
    not. Only namespaces where an object changed are checked: elsewhere every object and its
    neighbours (what cross-object rules read) are the same on both sides."""
    diff = c.objects
    touched = {k[1] for k in (*diff.added, *diff.removed, *(x.key for x in diff.changed))}
    if diff.empty:
        return
    found = _rule_hits(c.head, touched) - _rule_hits(c.base, touched)
    for rule, label, path, message in sorted(found):
        namespace = label.split(" ", 1)[1].split("/")[0] if "/" in label else None
        yield Finding(f"rule {rule}", WARNING, f"{rule} {label} {path}: {message}", namespace)


VISIBILITY = "networking.kserve.io/visibility"
ENABLE_AUTH = "security.opendatahub.io/enable-auth"


def _serving_meta(kind: str, obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A predictor's labels and annotations: the InferenceService's own, or those a NIMService
    keeps in `spec.labels` / `spec.annotations` for the InferenceService it creates."""
    holder = obj.get("metadata") if kind == "InferenceService" else obj.get("spec")
    holder = holder if isinstance(holder, dict) else {}
    return holder.get("labels") or {}, holder.get("annotations") or {}


def _exposed(side: Side) -> dict[ObjectKey, bool]:
    """The predictors a route makes reachable from outside the cluster, each with whether it
    asks for a token (`security.opendatahub.io/enable-auth: "true"`)."""
    found = {}
    for key, obj in side.objects.items():
        if key[0] in ("InferenceService", "NIMService"):
            labels, annotations = _serving_meta(key[0], obj)
            if labels.get(VISIBILITY) == "exposed":
                found[key] = annotations.get(ENABLE_AUTH) == "true"
    return found


def routes_exposed(c: Comparison) -> Iterator[Finding]:
    """A predictor that gets an external route with this change (`externalRoute: true`)."""
    head, base = _exposed(c.head), _exposed(c.base)
    for key in sorted(set(head) - set(base)):
        unguarded = "" if head[key] else " without token auth (set tokenAuth to require one)"
        yield Finding("external-route", WARNING,
                      f"{describe(key)} becomes reachable from outside the cluster "
                      f"(externalRoute: true){unguarded}", key[1])


Check = Callable[[Comparison], Iterable[Finding]]
CHECKS: tuple[Check, ...] = (pruned_namespaces, adopted_namespaces, routes_exposed,
                             config_warnings, new_rule_findings)


def findings(c: Comparison) -> tuple[Finding, ...]:
    """Every finding of every kind, dangers first."""
    found = [f for check in CHECKS for f in check(c)]
    return tuple(sorted(found, key=lambda f: f.severity != DANGER))
