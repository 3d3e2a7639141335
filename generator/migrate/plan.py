"""What migrating each NIM deployment of an export changes, and what can be deleted after."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from generator.migrate.export import Export, Runtime, api_key_secret, pull_secret

SHARED_KEY = "nvidia-nim-secrets"
SHARED_PULL = "ngc-secret"
SHARED = (SHARED_KEY, SHARED_PULL)
ADMIN_SECRET = "nvidia-nim-access"
DEFAULT_ACCOUNT = "odh-nim-account"
LEGACY_KEY_NOTE = (
    "names cannot tell whether the shared key is a legacy (non-nvapi-) key; legacy keys "
    "cannot be carried over: store a personal nvapi- key for each migrated deployment"
)


__all__ = ["DeploymentPlan", "NamespacePlan", "api_key_secret", "plan_export",
           "plan_namespace", "pull_secret"]
LITERAL_KEY_NOTE = ("a literal value, written to no file; store that key as {new} in the "
                    "secret manager, then revoke it: it sat in the cluster in plain text")


@dataclass(frozen=True)
class DeploymentPlan:
    """One NIM ServingRuntime: its status and, when it migrates, the new references."""

    runtime: Runtime
    status: str  # "migrate", "migrated", "skipped", "no-secrets"
    isvcs: tuple[str, ...]
    changes: tuple[str, ...]
    drop_pulls: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.runtime.name

    @property
    def predictors(self) -> tuple[str, ...]:
        return tuple(f"{name}-predictor" for name in self.isvcs)


@dataclass(frozen=True)
class NamespacePlan:
    """The migration of one project."""

    namespace: str
    deployments: tuple[DeploymentPlan, ...]
    still_referenced: dict[str, tuple[str, ...]]  # shared secret -> runtimes, after migration
    deletable: tuple[str, ...]
    missing: dict[str, tuple[str, ...]]  # referenced secret that the export lacks -> runtimes
    legacy: tuple[str, ...]

    def with_status(self, status: str) -> list[DeploymentPlan]:
        return [d for d in self.deployments if d.status == status]


def _is_ngc_pull(name: str, accounts: Collection[str]) -> bool:
    return name == SHARED_PULL or any(name == f"{a}-pull" for a in accounts)


def _deployment(rt: Runtime, isvcs: tuple[str, ...], accounts: Collection[str],
                selected: bool) -> DeploymentPlan:
    new_key, new_pull = api_key_secret(rt.name), pull_secret(rt.name)
    changes: list[str] = []
    if rt.api_key_secret is None and not rt.pull_secrets:
        return DeploymentPlan(rt, "no-secrets", isvcs, ())
    if rt.literal_key:
        changes.append(f"env {rt.container}.NGC_API_KEY: "
                       f"{LITERAL_KEY_NOTE.format(new=new_key)} -> secret {new_key}")
    elif rt.api_key_secret is not None and rt.api_key_secret != new_key:
        changes.append(f"env {rt.container}.NGC_API_KEY: secret {rt.api_key_secret} -> {new_key}")
    drop = tuple(p for p in rt.pull_secrets if _is_ngc_pull(p, accounts))
    if drop:
        changes.append(f"imagePullSecrets: {', '.join(drop)} -> {new_pull}")
    elif changes and new_pull not in rt.pull_secrets:
        changes.append(f"imagePullSecrets: add {new_pull}")
    if not changes:
        return DeploymentPlan(rt, "migrated", isvcs, ())
    return DeploymentPlan(rt, "migrate" if selected else "skipped", isvcs, tuple(changes), drop)


def _after(d: DeploymentPlan) -> set[str]:
    """The secrets a runtime references once this migration is applied."""
    if d.status != "migrate":
        return d.runtime.references()
    keep = {p for p in d.runtime.pull_secrets if p not in d.drop_pulls}
    return keep | {api_key_secret(d.name), pull_secret(d.name)}


def _legacy(export: Export, namespace: str) -> tuple[str, ...]:
    accounts = [name for ns, name in export.accounts if ns == namespace]
    found = [f"Account/{name}" for name in accounts]
    for account in sorted({*accounts, DEFAULT_ACCOUNT}):
        for kind, name in (("ConfigMap", f"{account}-cm"), ("Template", f"{account}-template"),
                           ("Secret", f"{account}-pull")):
            if export.has(namespace, kind, name):
                found.append(f"{kind}/{name}")
    if export.has(namespace, "Secret", ADMIN_SECRET):
        found.append(f"Secret/{ADMIN_SECRET}")
    return tuple(found)


def plan_namespace(export: Export, namespace: str,
                   only: Collection[str] | None = None) -> NamespacePlan:
    """Plan one namespace; `only` restricts the deployments migrated now."""
    accounts = {name for ns, name in export.accounts if ns == namespace} | {DEFAULT_ACCOUNT}
    runtimes = [r for r in export.runtimes if r.namespace == namespace]
    deployments = tuple(
        _deployment(r, tuple(n for ns, n, rt in export.isvcs if ns == namespace and rt == r.name),
                    accounts, only is None or r.name in only)
        for r in runtimes if r.is_nim)
    after = {d.name: _after(d) for d in deployments}
    after.update({r.name: r.references() for r in runtimes if not r.is_nim})
    still = {s: tuple(sorted(n for n, refs in after.items() if s in refs)) for s in SHARED}
    still = {s: names for s, names in still.items() if names}
    deletable = tuple(s for s in SHARED
                      if s not in still and export.has(namespace, "Secret", s))
    missing: dict[str, list[str]] = {}
    for r in runtimes:
        for secret in sorted(r.references()):
            if not export.has(namespace, "Secret", secret):
                missing.setdefault(secret, []).append(r.name)
    return NamespacePlan(namespace, deployments, still, deletable,
                         {k: tuple(v) for k, v in missing.items()}, _legacy(export, namespace))


def plan_export(export: Export, only: Collection[str] | None = None) -> list[NamespacePlan]:
    """Plan every namespace of an export."""
    return [plan_namespace(export, ns, only) for ns in export.namespaces()]
