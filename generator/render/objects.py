"""Plan -> Kubernetes objects: the template entry point and the per-deployment objects.

Each template's output is parsed back and checked here. The platform objects of each target
live in `platform.py`, the objects today's controller reads in `account.py`, a project's in
`projects.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator import catalog as catalog_mod
from generator.catalog import ModelEntry
from generator.errors import NimGitopsError
from generator.models import (
    KEY_REVISION_ANNOTATION,
    PROJECT_KEY_SECRET,
    Deployment,
    DeploymentSpec,
    Plan,
    RemoteRef,
    SecretsSpec,
    project_pull_scaffold,
)
from generator.render.env import environment
from generator.render.secret_templates import ESO_TEMPLATES, vso_templates
from generator.render.skeleton import load_rendered
from generator.render.weights import CACHE_MOUNT, CacheFill, cache_fill, clone_source

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
# CPU and memory of a NIM container unless the config says otherwise (docs/resources.md): an
# 8B LLM at bf16 is 16 GB of weights that pass through host memory as the NIM loads them, so
# the dashboard's preselected "Small" size (limit 2 CPU / 8Gi, odh-dashboard
# frontend/src/concepts/modelServing/modelServingSizesUtils.ts DEFAULT_MODEL_SERVER_SIZES[0])
# cannot start one. The limits are those of NVIDIA's KServe runtime for llama-3.1-8b-instruct
# (NVIDIA/nim-deploy@9017be57 kserve/runtimes/llama-3.1-8b-instruct-1.1.0.yaml: 12 CPU, 32Gi);
# the requests are lower so a 1-GPU node with 8 vCPU and 32 GiB can schedule the pod.
DEFAULT_REQUESTS = {"cpu": "4", "memory": "16Gi"}
DEFAULT_LIMITS = {"cpu": "12", "memory": "32Gi"}
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


FILL_REQUESTS = {"cpu": "1", "memory": "2Gi"}
FILL_LIMITS = {"cpu": "2", "memory": "4Gi"}

_GLOBALS = {
    "cache_mount": CACHE_MOUNT,
    "api_protocol": API_PROTOCOL,
    "template_display_name": TEMPLATE_DISPLAY_NAME,
    "writable_dirs": WRITABLE_DIRS,
    "key_revision_annotation": KEY_REVISION_ANNOTATION,
}


def _render(template: str, **context: Any) -> list[dict[str, Any]]:
    where = f"template {template}"
    try:
        docs = load_rendered(environment().get_template(template), {**_GLOBALS, **context},
                             where)
    except NimGitopsError as exc:
        raise TemplateOutputError(f"{exc}") from None
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise TemplateOutputError(f"{where}: produced something that is not an object")
    return docs


def catalog_configmap(plan: Plan, namespace: str) -> list[dict[str, Any]]:
    """The plan's model-list ConfigMap (`Plan.model_list`) in `namespace`, if it has one; over
    the client-side apply limit it asks Argo CD for server-side apply."""
    base = plan.model_list
    if base is None:
        return []
    # a new metadata map (the plan's stays as resolve checked it); data is shared, never changed
    cm = {**base, "metadata": {**base["metadata"], "namespace": namespace}}
    # namespaces are DNS labels, written as they are in JSON: only their length changes the size
    size = plan.model_list_json_size + len(namespace) - len(base["metadata"]["namespace"])
    if size > catalog_mod.SSA_THRESHOLD:
        cm["metadata"]["annotations"] = {
            "argocd.argoproj.io/sync-options": "ServerSideApply=true"}
    return [cm]


@dataclass(frozen=True)
class KeyHolder:
    """Whoever gets a key from the secret manager: a deployment, a project, or the Account.

    `pull_secret` is None where the holder pulls no images (the Account) or pulls public ones,
    `api_key_secret` None where its NIM needs no key (docs/secrets.md); `restart` names the
    predictor Deployments to restart when the key rotates; `revision` is the holder's key
    revision from the config (None: never rotated through Git).
    """

    namespace: str
    api_key_secret: str | None
    pull_secret: str | None
    restart: tuple[str, ...] = ()
    revision: int | None = None


def deployment_holder(d: Deployment) -> KeyHolder:
    return KeyHolder(d.project, d.api_key_secret if d.needs_key else None,
                     d.pull_secret if d.needs_pull_secret else None, (f"{d.name}-predictor",),
                     d.key_revision)


def scaffolds(provider: str, secrets: SecretsSpec, holder: KeyHolder,
              remote_ref: RemoteRef, vault_path: str, vault_key: str) -> list[dict[str, Any]]:
    """The secret-manager objects that fill `holder`'s Secrets (none for provider none)."""
    if provider == "external-secrets":
        return _render("secrets/external-secrets.yaml.j2", holder=holder,
                       eso=secrets.external_secrets, eso_templates=ESO_TEMPLATES,
                       remote_ref=remote_ref)
    if provider == "vault":
        return _render("secrets/vault.yaml.j2", holder=holder, vault=secrets.vault,
                       vault_path=vault_path, vso_templates=vso_templates(vault_key))
    return []


def _deployment_scaffolds(provider: str, secrets: SecretsSpec,
                          d: Deployment) -> list[dict[str, Any]]:
    fill = {"project": d.project, "deployment": d.name}
    ref = d.spec.api_key_remote_ref or secrets.external_secrets.remote_ref
    path, key = d.spec.api_key_vault or (None, None)
    return scaffolds(provider, secrets, deployment_holder(d),
                     RemoteRef(ref.key.format(**fill), ref.property),
                     (path or secrets.vault.path).format(**fill), key or secrets.vault.key)


def secret_scaffolds(secrets: SecretsSpec, project: str, name: str) -> list[dict[str, Any]]:
    """The secret scaffolds `render` writes for deployment `name` of `project` (used by
    `migrate render` for deployments that exist only on the cluster)."""
    spec = DeploymentSpec(name=name, model="", path="")
    model = ModelEntry("", "", "", "", (), "", "")
    return _deployment_scaffolds(secrets.provider, secrets,
                                 Deployment(project, spec, model, "", ""))


def project_scaffolds(plan: Plan, project: str, revision: int | None,
                      deployments: list[Deployment]) -> list[dict[str, Any]]:
    """scope project: the project's `nvidia-nim-secrets` (and on redesign its `ngc-secret`;
    on current odh-model-controller writes the pull Secret for the project Account), shared by
    its deployments, filled from the project's entry in the secret manager; `revision` is the
    project's keyRevision."""
    secrets = plan.config.secrets
    holder = KeyHolder(project, PROJECT_KEY_SECRET, project_pull_scaffold(plan.target),
                       tuple(f"{d.name}-predictor" for d in deployments), revision)
    ref = secrets.external_secrets.project_remote_ref
    return scaffolds(plan.secrets_provider, secrets, holder,
                     RemoteRef(ref.key.format(project=project), ref.property),
                     secrets.vault.project_path.format(project=project), secrets.vault.key)


def _resources(d: Deployment) -> dict[str, dict[str, str]]:
    gpus = {"nvidia.com/gpu": str(d.spec.gpus)} if d.spec.gpus else {}
    return {
        "requests": {**DEFAULT_REQUESTS, **gpus, **d.spec.requests},
        "limits": {**DEFAULT_LIMITS, **gpus, **d.spec.limits},
    }


def own_scaffolds(plan: Plan, d: Deployment) -> list[dict[str, Any]]:
    """The deployment's own secret scaffolds (scope deployment; none for scope project)."""
    if d.secret_scope != "deployment":
        return []
    return _deployment_scaffolds(plan.secrets_provider, plan.config.secrets, d)


def cache_objects(plan: Plan, d: Deployment, *, from_ngc: bool = True
                  ) -> tuple[list[dict[str, Any]], CacheFill | None]:
    """The cache PVC (cloned when the weights are mirrored in a PVC) and its fill Job;
    `from_ngc` False leaves NGC downloads to someone else (the NIM Operator's NIMCache)."""
    fill = None
    if from_ngc or d.spec.cache.source is not None:
        fill = cache_fill(d, plan.secret_refs(d))
    # an existing claim is the user's: never rendered, so never changed or pruned
    objects = [] if d.spec.existing_claim else \
        _render("deployment/pvc.yaml.j2", d=d, clone=clone_source(d))
    if fill is not None:
        gpus = {"nvidia.com/gpu": str(fill.gpus)} if fill.gpus else {}
        resources = {"requests": {**FILL_REQUESTS, **gpus}, "limits": {**FILL_LIMITS, **gpus}}
        objects += _render("weights/fill-job.yaml.j2", d=d, fill=fill, resources=resources)
    return objects, fill


def token_auth_objects(d: Deployment) -> list[dict[str, Any]]:
    """With token auth: the ServiceAccount, Role, RoleBinding and token Secrets the dashboard
    creates for it (templates/deployment/token-auth.yaml.j2); none without."""
    return _render("deployment/token-auth.yaml.j2", d=d) if d.spec.token_auth else []


def deployment_objects(plan: Plan, d: Deployment) -> list[dict[str, Any]]:
    """Secret scaffolds (scope deployment), PVC (and its fill Job), ServingRuntime and
    InferenceService, and the token-auth objects."""
    cache, fill = cache_objects(plan, d)
    return [
        *own_scaffolds(plan, d),
        *cache,
        *_render("deployment/servingruntime.yaml.j2", d=d, refs=plan.secret_refs(d)),
        *_render("deployment/inferenceservice.yaml.j2", d=d, resources=_resources(d),
                 fill=fill),
        *token_auth_objects(d),
    ]
