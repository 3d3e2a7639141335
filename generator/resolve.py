"""Resolving a config against its catalog: models, tags, images and the emitted ConfigMap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from generator import catalog as catalog_mod
from generator.catalog import Catalog, ModelEntry, is_floating, is_pinned, version_key
from generator.config import line_of
from generator.errors import InvalidInputError
from generator.hints import did_you_mean
from generator.keyless import deployment_needs
from generator.metadata.extended import Details, load_details
from generator.models import (
    NIM_OPERATOR_MAIN,
    Config,
    Deployment,
    DeploymentSpec,
    Plan,
    ProjectSpec,
    nim_service_needs_auth_secret,
)


def load_plan_catalog(config: Config) -> Catalog:
    """The catalog a config names, or the embedded sample catalog."""
    path = config.platform.catalog.file
    if path is None:
        return catalog_mod.load_sample_catalog()
    if not path.exists():
        raise _error(config, "spec.platform.catalog.file",
                     f"{str(path)!r} does not exist: build it with `nim-gitops metadata generate "
                     "-o FILE`, or remove catalog.file to use the embedded sample catalog")
    return catalog_mod.load_catalog(path)


def _error(config: Config, path: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, source=config.source, line=line_of(config, path), path=path)


def _model(config: Config, cat: Catalog, spec: DeploymentSpec) -> ModelEntry:
    entry = cat.get(spec.model)
    if entry is not None:
        return entry
    hint = did_you_mean(spec.model, cat.models) or "; `nim-gitops catalog list` shows the models"
    raise _error(config, f"{spec.path}.model", f'"{spec.model}" is not in the catalog{hint}')


def _tag(config: Config, spec: DeploymentSpec, model: ModelEntry) -> str:
    allow = config.allow_floating_tags if spec.allow_floating_tags is None else \
        spec.allow_floating_tags
    if spec.tag is None:
        tag = model.newest_pinned_tag()
        if tag is None:
            raise _error(config, f"{spec.path}.model",
                         f'"{model.name}" has no pinned version tag; set "tag" explicitly')
        return tag
    if spec.tag not in model.tags:
        known = ", ".join(sorted(model.tags, key=version_key, reverse=True)[:6])
        raise _error(config, f"{spec.path}.tag",
                     f'"{spec.tag}" is not a tag of "{model.name}" (known: {known})'
                     + _refresh_hint(config, spec.tag, model))
    if is_floating(spec.tag) and not allow:
        raise _error(config, f"{spec.path}.tag",
                     f'"{spec.tag}" is a floating tag that NGC moves between releases; pin a '
                     f'version such as "{model.newest_pinned_tag()}" or set allowFloatingTags')
    return spec.tag


def _refresh_hint(config: Config, tag: str, model: ModelEntry) -> str:
    """For a version newer than every version the catalog knows: how to refresh it."""
    known = [version_key(t) for t in model.tags if is_pinned(t)]
    if not is_pinned(tag) or (known and version_key(tag) <= max(known)):
        return ""
    named = config.platform.catalog.file
    if named is None:
        return ("; if NGC has it, the embedded sample catalog is older: build one with "
                "`nim-gitops metadata generate -o nim-models-data.yaml` and set "
                "spec.platform.catalog.file to it")
    shown = named.relative_to(config.base_dir.resolve()) \
        if named.is_relative_to(config.base_dir.resolve()) else named
    return (f"; if NGC has it, the catalog is older: refresh it with `nim-gitops metadata "
            f"generate -o {shown}`")


def _short_tag_warning(config: Config, spec: DeploymentSpec, tag: str) -> str | None:
    """The dashboard pads all-digit tags to three parts (1.15 -> 1.15.0), so it cannot find the
    image of a deployment with a shorter one and shows it as missing when editing."""
    parts = tag.split(".")
    if len(parts) >= 3 or not all(p.isdigit() for p in parts):
        return None
    line = line_of(config, f"{spec.path}.tag")
    where = f"{config.source}:{line}" if line else config.source
    padded = ".".join([*parts, "0", "0"][:3])
    return (f'{where} {spec.path}.tag: the dashboard reads "{tag}" as "{padded}" and shows '
            '"existing NIM image was not found" when this deployment is edited there')


def _airgap_cache_warnings(config: Config) -> list[str]:
    """Air-gapped deployments whose NIM fills its own cache at start: without cache.source it
    downloads the weights from NGC, which the cluster cannot reach. (A preload or a NIMCache
    from NGC is refused outright by generator/config.py.)"""
    if config.air_gap is None:
        return []
    out = []
    for project in config.projects:
        for spec in project.deployments:
            if spec.cache.source is None:
                line = line_of(config, f"{spec.path}.name")
                where = f"{config.source}:{line}" if line else config.source
                out.append(f"{where} {spec.path}.cache: air-gapped and no cache.source, so the "
                           "NIM would download its weights from NGC, which the cluster cannot "
                           "reach; mirror them (`nim-gitops airgap images --weights`) and name "
                           "where in cache.source")
    return out


def _airgap_catalog(used: dict[str, set[str]], cat: Catalog) -> Catalog:
    """Only the models and tags the config deploys: what an air-gapped mirror holds."""
    entries = {}
    for name, tags in used.items():
        model = cat.models[name]
        kept = tuple(t for t in model.tags if t in tags)
        latest = max(kept, key=version_key)
        entries[name] = replace(model, tags=kept, latest_tag=latest)
    return Catalog(entries, cat.source)


def _unread_settings(config: Config) -> list[str]:
    """Warnings for settings that no reader of the config's target reads."""
    platform = config.platform
    unread: list[str] = []
    if platform.target == "current":
        if platform.catalog.config_map_name != catalog_mod.DEFAULT_CONFIGMAP_NAME:
            unread.append("does not use spec.platform.catalog.configMapName")
        if platform.templates != ("http",):
            unread.append("does not use spec.platform.templates")
    elif config.secrets.scope == "project":
        unread.append("has no project Account: secrets.scope project renders only the "
                      "project secrets")
    return [f"{config.source}: target {platform.target} {what}" for what in unread]


def resolve(config: Config, cat: Catalog | None = None,
            digests: dict[str, str] | None = None,
            details: Mapping[str, Details] | None = None) -> Plan:
    """Resolve every deployment of `config` against the catalog (and `details`, else the
    extended details file the config names, read here)."""
    cat = cat if cat is not None else load_plan_catalog(config)
    if details is None:
        details = load_details(config.platform.catalog.extended) \
            if config.platform.catalog.extended else {}
    allow_list = config.platform.catalog.models
    for index, name in enumerate(allow_list):
        if name not in cat:
            raise _error(config, f"spec.platform.catalog.models[{index}]",
                         f'"{name}" is not in the catalog{did_you_mean(name, cat.models)}')
    deployments = []
    short_tags: list[str] = []
    used: dict[str, set[str]] = {}
    for project in config.projects:
        for spec in project.deployments:
            model = _model(config, cat, spec)
            if allow_list and model.name not in allow_list:
                raise _error(config, f"{spec.path}.model",
                             f'"{model.name}" is not in spec.platform.catalog.models')
            tag = _tag(config, spec, model)
            short = _short_tag_warning(config, spec, tag)
            if short:
                short_tags.append(short)
            used.setdefault(model.name, set()).add(tag)
            needs_key, needs_pull = deployment_needs(
                spec, model.name, tag, details, config.platform.nim_operator_version)
            _check_key_source(config, spec, needs_key or needs_pull)
            _check_auth_secret(config, spec)
            image = model.image(tag)
            if digests and image in digests:
                image = f"{model.repository}@{digests[image]}"
            deployments.append(Deployment(project.name, spec, model, tag, image,
                                          secret_scope=config.secrets.scope,
                                          target=config.platform.target,
                                          key_revision=_key_revision(config, project, spec),
                                          needs_key=needs_key, needs_pull_secret=needs_pull))
    warnings = [*_unread_settings(config), *short_tags, *_airgap_cache_warnings(config)]
    if config.air_gap:
        emitted = _airgap_catalog(used, cat)
        if config.secrets.provider != "none":
            warnings.append(
                f"{config.source}: spec.airGap is set, so secrets.provider "
                f'"{config.secrets.provider}" is ignored: deployments get no secret references'
            )
    else:
        emitted = cat.subset(allow_list) if allow_list else cat
    plan = Plan(config=config, catalog=cat, emitted_catalog=emitted,
                deployments=tuple(deployments), digests=dict(digests or {}),
                warnings=tuple(warnings), details=details)
    _check_configmap_size(plan)
    return plan


NO_KEY_SECRET = ("downloading the weights from NGC needs the deployment's key Secret, which "
                 "secrets.provider none never references; set a provider, or name mirrored "
                 "weights in cache.source")


def _check_key_source(config: Config, spec: DeploymentSpec, needs_secret: bool) -> None:
    """Refuse an NGC download (a NIMCache, or a kserve preload Job) that needs a key or pull
    Secret with secrets.provider none, which references none. A keyless deployment's fill Job
    needs neither (generator/keyless.py), so it passes; a NIMCache always needs its key."""
    operator = spec.backend == "nim-operator"
    from_ngc = spec.renders_nim_cache or (spec.cache.source is None and spec.cache.preload)
    if from_ngc and needs_secret and config.secrets.provider == "none":
        field = "backend" if operator and not spec.cache.preload else "cache"
        raise _error(config, f"{spec.path}.{field}", NO_KEY_SECRET)


def _check_auth_secret(config: Config, spec: DeploymentSpec) -> None:
    """Refuse a NIMService that the chosen NIM Operator rejects: v3.1.2 requires spec.authSecret
    (a Secret holding NGC_API_KEY), and with no secret provider the only one there is is the
    placeholder of an air-gapped project on current (models.Config.project_placeholders)."""
    version = config.platform.nim_operator_version
    if spec.backend != "nim-operator" or not nim_service_needs_auth_secret(version):
        return
    if config.secrets_provider == "none" and not config.project_placeholders:
        raise _error(config, f"{spec.path}.backend",
                     f"NIM Operator {version} requires NIMService spec.authSecret and "
                     "secrets.provider none gives this deployment no key Secret; use "
                     f"spec.platform.nimOperator.version: {NIM_OPERATOR_MAIN} (k8s-nim-operator "
                     "#910, not released) or a secret provider")


def _check_configmap_size(plan: Plan) -> None:
    """Refuse a catalog whose rendered ConfigMap the API server would refuse (over 1 MiB).

    Checked here, before anything renders, so that `config check` refuses it too.
    """
    problem = catalog_mod.size_problem(plan.model_list)
    if problem:
        raise _error(plan.config, "spec.platform.catalog",
                     f"{problem}; list the models to ship in spec.platform.catalog.models")


def _key_revision(config: Config, project: ProjectSpec, spec: DeploymentSpec) -> int | None:
    """The revision of the key `spec` reads: the project's with scope project, else its own."""
    return project.key_revision if config.secrets.scope == "project" else spec.key_revision
