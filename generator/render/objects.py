"""Plan -> Kubernetes objects. Each template's output is parsed back and checked here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator import catalog as catalog_mod
from generator import yamlio
from generator.catalog import ModelEntry
from generator.errors import NimGitopsError
from generator.models import Deployment, DeploymentSpec, Plan, RemoteRef, SecretsSpec
from generator.render.env import environment
from generator.render.secret_templates import ESO_TEMPLATES, vso_templates
from generator.resolve import configmap_name

SSA_THRESHOLD = 250 * 1024
API_PROTOCOL = {"http": "REST", "grpc": "gRPC"}
TEMPLATE_DISPLAY_NAME = {
    "http": "NVIDIA NIM ServingRuntime for KServe",
    "grpc": "NVIDIA NIM ServingRuntime for KServe (gRPC)",
}
WRITABLE_DIRS = (
    ("nim-workspace", "/opt/nim/workspace"),
    ("nim-cache", "/.cache"),
    ("nim-nginx", "/opt/nim/nginx"),
    ("nim-generated-configs", "/opt/nim/generated_configs"),
    ("nim-dot-cache", "/opt/nim/.cache"),
    ("nim-dot-config", "/opt/nim/.config"),
    ("nim-dot-triton", "/opt/nim/.triton"),
)
DEFAULT_REQUESTS = {"cpu": "1", "memory": "4Gi"}
DEFAULT_LIMITS = {"cpu": "2", "memory": "8Gi"}
PLATFORM = "platform"


class TemplateOutputError(NimGitopsError):
    """A template produced something that is not a valid object: a bug, reported plainly."""

    exit_code = 70


@dataclass(frozen=True)
class RenderedObject:
    """One object and the directory (`platform` or `projects/<name>`) it belongs in."""

    group: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def filename(self) -> str:
        return f"{self.kind.lower()}-{self.name}.yaml"


_GLOBALS = {
    "api_protocol": API_PROTOCOL,
    "template_display_name": TEMPLATE_DISPLAY_NAME,
    "writable_dirs": WRITABLE_DIRS,
}


def _render(template: str, **context: Any) -> list[dict[str, Any]]:
    text = environment().get_template(template).render(**_GLOBALS, **context)
    where = f"template {template}"
    try:
        docs = yamlio.load_all(text, where)
    except NimGitopsError as exc:
        raise TemplateOutputError(f"{exc}") from None
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise TemplateOutputError(f"{where}: produced something that is not an object")
    return docs


def _metadata_configmap(plan: Plan) -> dict[str, Any]:
    cm = catalog_mod.configmap(
        plan.emitted_catalog.models.values(), name=configmap_name(plan),
        namespace=plan.platform_namespace,
    )
    if len(yamlio.dump(cm).encode()) > SSA_THRESHOLD:
        cm["metadata"]["annotations"] = {
            "argocd.argoproj.io/sync-options": "ServerSideApply=true"}
    return cm


def platform_objects(plan: Plan) -> Iterator[RenderedObject]:
    """The metadata ConfigMap, Templates, dashboard config and mirror sets."""
    config = plan.config
    namespace = plan.platform_namespace
    if config.platform.catalog.emit or config.air_gap:
        yield RenderedObject(PLATFORM, _metadata_configmap(plan))
    for protocol in config.platform.templates:
        for doc in _render("platform/template.yaml.j2", protocol=protocol, namespace=namespace):
            yield RenderedObject(PLATFORM, doc)
    if config.platform.manage_dashboard:
        name = configmap_name(plan)
        custom = name if name != catalog_mod.DEFAULT_CONFIGMAP_NAME else None
        disconnected = config.platform.disconnected or config.air_gap is not None
        for doc in _render("platform/dashboard-config.yaml.j2", namespace=namespace,
                           custom_configmap=custom, disconnected=disconnected):
            yield RenderedObject(PLATFORM, doc)
    if config.air_gap:
        for doc in _render("airgap/mirror-sets.yaml.j2", mirror=config.air_gap.mirror,
                           pin_digests=config.air_gap.pin_digests):
            yield RenderedObject(PLATFORM, doc)


def _fill(template: str, d: Deployment) -> str:
    return template.format(project=d.project, deployment=d.name)


def _secret_objects(plan: Plan, d: Deployment) -> list[dict[str, Any]]:
    return _scaffolds(plan.secrets_provider, plan.config.secrets, d)


def secret_scaffolds(secrets: SecretsSpec, project: str, name: str) -> list[dict[str, Any]]:
    """The secret scaffolds `render` writes for deployment `name` of `project` (used by
    `migrate render` for deployments that exist only on the cluster)."""
    spec = DeploymentSpec(name=name, model="", path="")
    model = ModelEntry("", "", "", "", (), "", "")
    return _scaffolds(secrets.provider, secrets, Deployment(project, spec, model, "", ""))


def _scaffolds(provider: str, secrets: SecretsSpec, d: Deployment) -> list[dict[str, Any]]:
    if provider == "external-secrets":
        ref = d.spec.api_key_remote_ref or secrets.external_secrets.remote_ref
        return _render("secrets/external-secrets.yaml.j2", d=d, eso=secrets.external_secrets,
                       eso_templates=ESO_TEMPLATES,
                       remote_ref=RemoteRef(_fill(ref.key, d), ref.property))
    if provider == "vault":
        path, key = d.spec.api_key_vault or (None, None)
        return _render("secrets/vault.yaml.j2", d=d, vault=secrets.vault,
                       vault_path=_fill(path or secrets.vault.path, d),
                       vso_templates=vso_templates(key or secrets.vault.key))
    return []


def _resources(d: Deployment) -> dict[str, dict[str, str]]:
    gpus = {"nvidia.com/gpu": str(d.spec.gpus)} if d.spec.gpus else {}
    return {
        "requests": {**DEFAULT_REQUESTS, **gpus, **d.spec.requests},
        "limits": {**DEFAULT_LIMITS, **gpus, **d.spec.limits},
    }


def deployment_objects(plan: Plan, d: Deployment) -> list[dict[str, Any]]:
    """Secret scaffolds, PVC, ServingRuntime and InferenceService of one deployment."""
    secrets = plan.secrets_provider != "none"
    return [
        *_secret_objects(plan, d),
        *_render("deployment/pvc.yaml.j2", d=d),
        *_render("deployment/servingruntime.yaml.j2", d=d, secrets=secrets),
        *_render("deployment/inferenceservice.yaml.j2", d=d, resources=_resources(d)),
    ]


def project_objects(plan: Plan) -> Iterator[RenderedObject]:
    """Namespaces and deployments, project by project."""
    by_project: dict[str, list[Deployment]] = {}
    for d in plan.deployments:
        by_project.setdefault(d.project, []).append(d)
    for project in plan.config.projects:
        group = f"projects/{project.name}"
        if project.manage_namespace:
            for doc in _render("project/namespace.yaml.j2", project=project.name):
                yield RenderedObject(group, doc)
        for d in by_project.get(project.name, []):
            for doc in deployment_objects(plan, d):
                yield RenderedObject(group, doc)


def render_objects(plan: Plan) -> list[RenderedObject]:
    """Every object of a plan, in a stable order."""
    return [*platform_objects(plan), *project_objects(plan)]
