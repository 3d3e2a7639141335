"""Reading the user's config: schema check with file:line locations, then frozen dataclasses."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from generator import hints, yamlio
from generator.errors import InvalidInputError
from generator.models import (
    AirGapSpec,
    CacheSource,
    CacheSpec,
    CatalogSpec,
    Config,
    DeploymentSpec,
    ExternalSecretsSpec,
    PlatformSpec,
    ProjectSpec,
    RemoteRef,
    SecretsSpec,
    ServingDefaults,
    VaultSpec,
    default_scope,
)
from generator.serving import check_serving, token_names

API_VERSION = "nim-gitops.opendatahub.io/v1alpha1"
KIND = "NimGitOps"
PLACEHOLDERS = frozenset({"project", "deployment"})
# an NGC personal key (`nvapi-` and about 64 more characters); a name such as
# `nim/nvapi-keys` is not one
_NGC_KEY = re.compile(r"nvapi-[A-Za-z0-9_-]{16,}", re.IGNORECASE)
Lines = dict[tuple[str | int, ...], int]


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    """The bundled JSON schema of the config file (also the chart's values schema source)."""
    text = resources.files("generator.schemas").joinpath("config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _line_of(lines: Lines, path: tuple[str | int, ...]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        as_text = (*path[:-1], str(path[-1]))  # a non-string key (`7:`) is recorded as text
        if as_text in lines:
            return lines[as_text]
        path = path[:-1]
    return lines.get(())


MAX_SHOWN = 80


def _show(value: Any) -> str:
    """A value as JSON for a message, cut short so a huge input never floods the terminal."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN - 12]}...{text[-8:]}"


def _describe(error: Any, written: Mapping[tuple[str | int, ...], str] | None = None
              ) -> tuple[tuple[str | int, ...], str]:
    """A readable message and the path it belongs to, for one jsonschema error."""
    path = tuple(error.absolute_path)
    validator, value = error.validator, error.instance
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return (*path, extra[0]), f"unknown field{hint}"
    if validator == "required":
        return path, error.message.replace("is a required property", "is required")
    if validator == "enum":
        options = ", ".join(json.dumps(o) for o in error.validator_value)
        return path, f"{_show(value)} is not one of {options}"
    if validator == "pattern":
        return path, hints.pattern_message(_show(value), error.validator_value)
    if validator == "type":
        quoted = hints.type_message(value, error.validator_value, path[-1] if path else None,
                                    (written or {}).get(path))
        if quoted:
            return path, quoted
    if validator == "not" and list(error.validator_value) == ["required"]:
        first, second = error.validator_value["required"]
        return path, f"set either {first} or {second}, not both"
    if validator == "const":
        return path, f"must be {json.dumps(error.validator_value)}"
    message: str = error.message
    shown = repr(value)
    if len(shown) > MAX_SHOWN and shown in message:
        message = message.replace(shown, f"{shown[:MAX_SHOWN - 12]}...{shown[-8:]}")
    return path, message


def _validator() -> Any:
    """A draft 2020-12 validator of the config schema that checks each distinct array item
    once per schema: a fleet repeats its projects' deployments (1,000 x 5 deployments often
    hold five distinct ones), and checking them was most of loading such a config.

    The schema has one resource, no `$dynamicRef` and no `unevaluated*` keywords, so whether
    an item is valid under an `items` schema depends on the two alone, and `repr` tells plain
    data apart exactly (`1`, `1.0`, `True`, `"1"`). Only items found valid are remembered: an
    invalid one is checked again wherever it occurs, so every error and its path are the ones
    the plain validator reports.
    """
    from jsonschema import Draft202012Validator, validators

    plain_items = Draft202012Validator.VALIDATORS["items"]
    valid: set[tuple[int, str]] = set()

    def items(validator: Any, each: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if type(instance) is not list or "prefixItems" in schema or type(each) is not dict:
            yield from plain_items(validator, each, instance, schema)
            return
        for index, item in enumerate(instance):
            seen = (id(each), repr(item))
            if seen in valid:
                continue
            errors = list(validator.descend(item, each, path=index))
            if errors:
                yield from errors
            else:
                valid.add(seen)

    extended = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"items": items})
    return extended(config_schema())


def check_schema(data: Any, source: str, lines: Lines) -> None:
    """Raise an InvalidInputError for the first schema violation, with file, line and path."""
    from jsonschema.exceptions import relevance

    validator = _validator()
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)),
                                                                 relevance(e)))
    if not errors:
        return
    error = min(errors, key=lambda e: (_line_of(lines, tuple(e.absolute_path)) or 0, relevance(e)))
    while error.context:
        error = min(error.context, key=relevance)
    path, message = _describe(error, getattr(lines, "written", {}))
    raise InvalidInputError(
        message, source=source, line=_line_of(lines, path), path=yamlio.format_path(path) or None
    )


def _placeholders_ok(template: str, source: str, line: int | None, path: str,
                     allowed: frozenset[str] = PLACEHOLDERS) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise InvalidInputError(f"bad template {template!r}: {exc}", source=source, line=line,
                                path=path) from None
    unknown = names - allowed
    if unknown:
        use = " and ".join(f"{{{name}}}" for name in sorted(allowed, reverse=True)) or "none"
        raise InvalidInputError(
            f"unknown placeholder {{{sorted(unknown)[0]}}} (placeholders here: {use})",
            source=source, line=line, path=path,
        )


def _remote_ref(raw: dict[str, Any] | None) -> RemoteRef | None:
    return RemoteRef(raw["key"], raw.get("property")) if raw else None


def _secrets(raw: dict[str, Any], source: str, lines: Lines, target: str) -> SecretsSpec:
    eso_raw = raw.get("externalSecrets", {})
    store = eso_raw.get("storeRef", {})
    eso = ExternalSecretsSpec(
        store_kind=store.get("kind", "ClusterSecretStore"),
        store_name=store.get("name"),
        refresh_interval=eso_raw.get("refreshInterval", "1h"),
        remote_ref=_remote_ref(eso_raw.get("remoteRef")) or ExternalSecretsSpec.remote_ref,
        project_remote_ref=_remote_ref(eso_raw.get("projectRemoteRef"))
        or ExternalSecretsSpec.project_remote_ref,
        account_remote_ref=_remote_ref(eso_raw.get("accountRemoteRef"))
        or ExternalSecretsSpec.account_remote_ref,
        pin_version=eso_raw.get("pinVersion", False),
    )
    v = raw.get("vault", {})
    vault = VaultSpec(
        mount=v.get("mount", "secret"),
        path=v.get("path", VaultSpec.path),
        project_path=v.get("projectPath", VaultSpec.project_path),
        account_path=v.get("accountPath", VaultSpec.account_path),
        type=v.get("type", "kv-v2"),
        key=v.get("key", "api_key"),
        vault_auth_ref=v.get("vaultAuthRef"),
        refresh_after=v.get("refreshAfter", "1h"),
        rollout_restart=v.get("rolloutRestart", True),
        pin_version=v.get("pinVersion", False),
    )
    provider = raw.get("provider", "none")
    base = ("spec", "secrets")
    if vault.pin_version and vault.type != "kv-v2":
        path = (*base, "vault", "pinVersion")
        raise InvalidInputError("only kv-v2 keeps versions; remove pinVersion or use type kv-v2",
                                source=source, line=_line_of(lines, path),
                                path=yamlio.format_path(path))
    if provider == "external-secrets" and not eso.store_name:
        path = (*base, "externalSecrets", "storeRef")
        raise InvalidInputError("a secret store is required when provider is external-secrets",
                                source=source, line=_line_of(lines, path),
                                path=yamlio.format_path(path))
    project_only = frozenset({"project"})
    for template, where, allowed in (
        (eso.remote_ref.key, ("externalSecrets", "remoteRef", "key"), PLACEHOLDERS),
        (eso.project_remote_ref.key, ("externalSecrets", "projectRemoteRef", "key"), project_only),
        (eso.account_remote_ref.key, ("externalSecrets", "accountRemoteRef", "key"), frozenset()),
        (vault.path, ("vault", "path"), PLACEHOLDERS),
        (vault.project_path, ("vault", "projectPath"), project_only),
        (vault.account_path, ("vault", "accountPath"), frozenset()),
    ):
        path = (*base, *where)
        _placeholders_ok(template, source, _line_of(lines, path), yamlio.format_path(path),
                         allowed)
    return SecretsSpec(provider=provider, scope=raw.get("scope", default_scope(target)),
                       scope_given="scope" in raw, external_secrets=eso, vault=vault)


def _cache(raw: dict[str, Any]) -> CacheSpec:
    src = raw.get("source")
    found: CacheSource | None = None
    if src and "pvc" in src:
        found = CacheSource("pvc", src["pvc"])
    elif src and "s3" in src:
        s3 = src["s3"]
        found = CacheSource("s3", s3["url"], s3["image"], s3["credentialsSecret"],
                            s3.get("endpoint"))
    elif src and "oci" in src:
        oci = src["oci"]
        found = CacheSource("oci", oci["ref"], oci["image"], oci.get("pullSecret"))
    return CacheSpec(preload=raw.get("preload", False), profiles=tuple(raw.get("profiles", ())),
                     source=found)


def _deployment(raw: dict[str, Any], path: tuple[str | int, ...], source: str,
                lines: Lines, backend: str = "kserve",
                platform_namespace: str = PlatformSpec.namespace,
                serving: ServingDefaults = PlatformSpec.serving) -> DeploymentSpec:
    storage = raw.get("storage", {})
    resources_ = raw.get("resources", {})
    profile = raw.get("hardwareProfile")
    api_key = raw.get("apiKey", {})
    ref = _remote_ref(api_key.get("remoteRef"))
    if ref is not None:
        ref_path = (*path, "apiKey", "remoteRef", "key")
        _placeholders_ok(ref.key, source, _line_of(lines, ref_path), yamlio.format_path(ref_path))
    vault = api_key.get("vault")
    return DeploymentSpec(
        name=raw["name"],
        model=raw["model"],
        path=yamlio.format_path(path),
        display_name=raw.get("displayName"),
        tag=raw.get("tag"),
        allow_floating_tags=raw.get("allowFloatingTags"),
        protocol=raw.get("protocol", "http"),
        replicas=int(raw.get("replicas", 1)),  # JSON Schema's integer admits 2.0
        gpus=int(raw.get("gpus", 1)),
        storage_size=str(storage.get("size", "50Gi")),
        storage_class=storage.get("storageClassName"),
        requests={k: str(v) for k, v in resources_.get("requests", {}).items()},
        limits={k: str(v) for k, v in resources_.get("limits", {}).items()},
        # the dashboard looks a profile up in its own namespace when the annotation names none,
        # and its edit drops the name without the namespace (docs/backend-kserve.md)
        hardware_profile=((profile["name"], profile.get("namespace") or platform_namespace)
                          if profile else None),
        api_key_remote_ref=ref,
        api_key_vault=(vault.get("path"), vault.get("key")) if vault else None,
        backend=raw.get("backend", backend),
        cache=_cache(raw.get("cache", {})),
        key_revision=raw.get("keyRevision"),
        key_required=api_key.get("required", False),
        external_route=raw.get("externalRoute", serving.external_route),
        token_auth=token_names(raw["tokenAuth"]) if "tokenAuth" in raw else serving.token_auth,
        env=tuple(raw.get("env", ())),
        args=tuple(raw.get("args", ())),
        min_replicas=raw.get("minReplicas"),
        max_replicas=raw.get("maxReplicas"),
        existing_claim=storage.get("existingClaim"),
        sub_path=storage.get("subPath"),
    )


def _unique(names: list[tuple[str, tuple[str | int, ...]]], what: str, source: str,
            lines: Lines) -> None:
    seen: set[str] = set()
    for name, path in names:
        if name in seen:
            raise InvalidInputError(f"duplicate {what} {name!r}", source=source,
                                    line=_line_of(lines, path), path=yamlio.format_path(path))
        seen.add(name)


def _catalog_file(raw: str | None, base_dir: Path, source: str, lines: Lines,
                  key: str = "file") -> Path | None:
    if raw is None:
        return None
    path = (base_dir / raw).resolve()
    if not path.is_relative_to(base_dir.resolve()):
        where = ("spec", "platform", "catalog", key)
        raise InvalidInputError(f"{raw!r} points outside the config's directory", source=source,
                                line=_line_of(lines, where), path=yamlio.format_path(where))
    return path


# What YAML (and so kustomize, Argo CD and the API server's clients) cannot carry in a value,
# even escaped: C0 controls other than tab, LF and CR; DEL; C1 controls other than NEL;
# lone surrogates; U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
                          "\ud800-\udfff\ufffe\uffff]")


# NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR: YAML 1.1 readers (kustomize, Helm) fold them
# into spaces, so a display name holding one would reach the cluster changed.
_FOLDED = re.compile("[\x85\u2028\u2029]")


def _value_problem(value: str) -> str | None:
    """Why a config string cannot be rendered (None: it can)."""
    if _NGC_KEY.search(value):
        return ("looks like an NGC API key; the config only says where the key lives in the "
                "secret store, never the key")
    bad = _UNPRINTABLE.search(value)
    if bad:
        return f"contains the control character U+{ord(bad.group()):04X}"
    folded = _FOLDED.search(value)
    if folded:
        return (f"contains U+{ord(folded.group()):04X}, which kustomize and Helm read as a line "
                "break and turn into a space; write a space or a newline instead")
    return None


def _check_values(value: Any, path: tuple[str | int, ...], source: str, lines: Lines) -> None:
    """Refuse strings that no Kubernetes YAML tool could read back, and pasted NGC keys.

    A key in the config would reach Git through the rendered objects; the message never
    repeats the value.
    """
    items: Any = ()
    if isinstance(value, str):
        problem = _value_problem(value)
        if problem:
            raise InvalidInputError(problem, source=source, line=_line_of(lines, path),
                                    path=yamlio.format_path(path) or None)
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        _check_values(item, (*path, key), source, lines)


# Namespaces that Kubernetes, OpenShift and OpenShift AI own: a managed Namespace object there
# would be deleted with the project (or the Argo CD Application, with cascade).
# Namespaces of the platform and of its usual neighbours: managing one as a project would let
# Argo CD or Flux prune it (and everything in it) with the project.
_SYSTEM_NAMESPACE = re.compile(
    r"default|kube-.*|openshift|openshift-.*|redhat-ods-.*|rhods-.*|opendatahub|opendatahub-.*"
    r"|nvidia-gpu-operator|gpu-operator|nvidia-nim-operator|nim-operator"
    r"|vault|vault-.*|argocd|argo-cd|openshift-gitops|flux-system|external-secrets"
    r"|cert-manager|istio-system|knative-serving|knative-eventing|kserve")
# The dashboard's delete flow removes PVCs whose name starts with nim-pvc (nimUtils.ts).
_DASHBOARD_PVC = "nim-pvc"


def _check_ownership(projects: list[ProjectSpec], platform: PlatformSpec, source: str,
                     lines: Lines) -> None:
    """Refuse to manage namespaces the platform owns, and deployment names whose cache PVC
    the dashboard would delete."""
    for i, project in enumerate(projects):
        owned = project.name == platform.namespace or _SYSTEM_NAMESPACE.fullmatch(project.name)
        path: tuple[str | int, ...] = ("spec", "projects", i, "name")
        if owned and project.manage_namespace:
            raise InvalidInputError(
                f'"{project.name}" belongs to the platform; managing it would delete it with the '
                "project (set namespace.manage: false to deploy into it without owning it)",
                source=source, line=_line_of(lines, path), path=yamlio.format_path(path))
        for j, d in enumerate(project.deployments):
            if d.name.startswith(_DASHBOARD_PVC):
                path = ("spec", "projects", i, "deployments", j, "name")
                raise InvalidInputError(
                    f'"{d.name}" starts with {_DASHBOARD_PVC}: the dashboard deletes cache PVCs '
                    "named so when it deletes a deployment; choose another name",
                    source=source, line=_line_of(lines, path), path=yamlio.format_path(path))


def _check_identity(data: dict[Any, Any], source: str, lines: Lines) -> None:
    """Refuse a mapping that is not a NimGitOps object before any of its content is quoted.

    A path handed to the plugins may name any file (a password file, a Secret): the message
    names the field that identifies the object, never the file's keys or values.
    """
    for field, expected in (("apiVersion", API_VERSION), ("kind", KIND)):
        if data.get(field) != expected:
            raise InvalidInputError(
                f"must be {json.dumps(expected)} (the file is not a {KIND} object)",
                source=source, line=lines.get((field,)), path=field)


def _check_weights(projects: list[ProjectSpec], air: dict[str, Any] | None,
                   source: str, lines: Lines) -> None:
    """Refuse what cannot fill a cache: NGC downloads air-gapped, and NIMService digests.
    (An NGC download without a key Secret is refused by generator/resolve.py, which knows
    whether the deployment needs a key.)"""
    for i, project in enumerate(projects):
        for j, d in enumerate(project.deployments):
            base: tuple[str | int, ...] = ("spec", "projects", i, "deployments", j)
            problem, where = None, base
            operator = d.backend == "nim-operator"
            from_ngc = d.renders_nim_cache or (d.cache.source is None and d.cache.preload)
            if air and operator and air.get("pinDigests"):
                problem = ("a NIMService names its image by tag, so airGap.pinDigests cannot "
                           "pin it; use backend kserve or turn pinDigests off")
                where = (*base, "backend")
            elif air and from_ngc:
                problem = ("an air-gapped cluster cannot download weights from NGC; name "
                           "where the mirrored weights live in cache.source")
                where = (*base, "cache")
            if problem:
                raise InvalidInputError(problem, source=source, line=_line_of(lines, where),
                                        path=yamlio.format_path(where))


def _check_revisions(projects: list[ProjectSpec], scope: str, source: str,
                     lines: Lines) -> None:
    """A key revision sits on whoever holds the key: the deployment (scope deployment) or the
    project (scope project); anywhere else it would rotate nothing."""
    for i, project in enumerate(projects):
        base: tuple[str | int, ...] = ("spec", "projects", i)
        if scope == "deployment" and project.key_revision is not None:
            path = (*base, "keyRevision")
            raise InvalidInputError(
                "secrets.scope is deployment: each deployment has its own key, so set keyRevision "
                "on the deployments", source=source, line=_line_of(lines, path),
                path=yamlio.format_path(path))
        for j, d in enumerate(project.deployments):
            if scope == "project" and d.key_revision is not None:
                path = (*base, "deployments", j, "keyRevision")
                raise InvalidInputError(
                    f"secrets.scope is project: the deployments share the key of project "
                    f'"{project.name}", so set keyRevision on the project',
                    source=source, line=_line_of(lines, path), path=yamlio.format_path(path))


def parse_config(data: Any, source: str, base_dir: Path, lines: Lines | None = None) -> Config:
    """Check a parsed config document and turn it into a `Config`."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise InvalidInputError("the config must be a mapping (a NimGitOps object)", source=source)
    _check_identity(data, source, lines)
    check_schema(data, source, lines)
    _check_values(data, (), source, lines)
    spec = data["spec"]
    platform_raw = spec.get("platform", {})
    cat = platform_raw.get("catalog", {})
    dashboard = platform_raw.get("dashboard", {})
    platform = PlatformSpec(
        namespace=platform_raw.get("namespace", PlatformSpec.namespace),
        catalog=CatalogSpec(
            file=_catalog_file(cat.get("file"), base_dir, source, lines),
            extended=_catalog_file(cat.get("extended"), base_dir, source, lines, "extended"),
            config_map_name=cat.get("configMapName", "nim-models-data"),
            models=tuple(cat.get("models", ())),
            emit=cat.get("emit", True),
        ),
        templates=tuple(platform_raw.get("templates", ("http",))),
        manage_dashboard=dashboard.get("manage", True),
        disconnected=dashboard.get("disconnected", False),
        target=platform_raw.get("target", PlatformSpec.target),
        manage_account=platform_raw.get("account", {}).get("manage", True),
        data_science_cluster=platform_raw.get("dataScienceCluster",
                                              PlatformSpec.data_science_cluster),
        backend=platform_raw.get("backend", PlatformSpec.backend),
        account_key_revision=platform_raw.get("account", {}).get("keyRevision"),
        nim_operator_version=platform_raw.get("nimOperator", {}).get(
            "version", PlatformSpec.nim_operator_version),
        serving=ServingDefaults(
            external_route=platform_raw.get("serving", {}).get("externalRoute", False),
            token_auth=token_names(platform_raw.get("serving", {}).get("tokenAuth", False))),
    )
    projects = []
    raw_projects = spec.get("projects", [])
    _unique([(p["name"], ("spec", "projects", i, "name")) for i, p in enumerate(raw_projects)],
            "project", source, lines)
    for i, p in enumerate(raw_projects):
        base = ("spec", "projects", i)
        raw_deps = p.get("deployments", [])
        _unique([(d["name"], (*base, "deployments", j, "name")) for j, d in enumerate(raw_deps)],
                "deployment name in this project", source, lines)
        deployments = tuple(_deployment(d, (*base, "deployments", j), source, lines,
                                        platform.backend, platform.namespace, platform.serving)
                            for j, d in enumerate(raw_deps))
        projects.append(ProjectSpec(
            name=p["name"], path=yamlio.format_path(base),
            manage_namespace=p.get("namespace", {}).get("manage", True), deployments=deployments,
            key_revision=p.get("keyRevision"),
        ))
    _check_ownership(projects, platform, source, lines)
    for i, project in enumerate(raw_projects):
        for j, raw_dep in enumerate(project.get("deployments", [])):
            problem = check_serving(raw_dep, projects[i].deployments[j],
                                    projects[i].deployments)
            if problem:
                where = ("spec", "projects", i, "deployments", j, *problem[0])
                raise InvalidInputError(problem[1], source=source, line=_line_of(lines, where),
                                        path=yamlio.format_path(where))
    _check_revisions(projects, spec.get("secrets", {}).get("scope", default_scope(platform.target)),
                     source, lines)
    air = spec.get("airGap")
    _check_weights(projects, air, source, lines)
    return Config(
        name=data["metadata"]["name"],
        source=source,
        base_dir=base_dir,
        platform=platform,
        secrets=_secrets(spec.get("secrets", {}), source, lines, platform.target),
        projects=tuple(projects),
        air_gap=AirGapSpec(air["mirror"].rstrip("/"), air.get("pinDigests", False))
        if air else None,
        allow_floating_tags=spec.get("allowFloatingTags", False),
        lines=lines,
    )


def load_config(path: Path | str) -> Config:
    """Load and check a config file."""
    path = Path(path)
    source = str(path)
    data, lines = yamlio.load_with_lines(yamlio.read_text(path), source)
    return parse_config(data, source, path.parent, lines)


def line_of(config: Config, dotted: str) -> int | None:
    """The line of a dotted field path (as stored on specs) in the config file."""
    path: list[str | int] = []
    for part in dotted.replace("[", ".[").split("."):
        if not part:
            continue
        path.append(int(part[1:-1]) if part.startswith("[") else part)
    return _line_of(dict(config.lines), tuple(path))
