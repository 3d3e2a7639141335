"""Frozen data the pipeline passes along: the loaded config and the resolved deployments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator import catalog as catalog_mod
from generator.catalog import Catalog, ModelEntry
from generator.metadata.extended import Details
from generator.targets import DEFAULT_TARGET

DEFAULT_NAMESPACE = "redhat-ods-applications"
# Names today's OpenShift AI reads (see docs/targets.md for the upstream files).
ACCOUNT_NAME = "odh-nim-account"
ACCOUNT_CONFIGMAP = f"{ACCOUNT_NAME}-cm"  # the model list of a disconnected Account
AIRGAP_CONFIGMAP = "nim-models-data-airgap"  # redesign's metadata ConfigMap when air-gapped
ACCOUNT_KEY_SECRET = "nvidia-nim-access"
PROJECT_KEY_SECRET = "nvidia-nim-secrets"
PROJECT_PULL_SECRET = "ngc-secret"
# odh-model-controller writes `<account>-pull` from the Account's key in the Account's namespace
# (internal/controller/nim/handlers/pull_secret_handler.go); the wizard's runtimes pull with it
ACCOUNT_PULL_SECRET = f"{ACCOUNT_NAME}-pull"
# The value of an air-gapped Account's key Secret: plainly not a key (docs/airgap.md)
PLACEHOLDER_KEY = "air-gapped-no-ngc-key"
# Set to a holder's key revision on what must change when its key rotates (docs/secrets.md).
KEY_REVISION_ANNOTATION = "nim-gitops.opendatahub.io/key-revision"
# The token the dashboard's "Require token authentication" starts with (odh-dashboard
# packages/model-serving/src/components/deploymentWizard/fields/TokenAuthenticationField.tsx)
DEFAULT_TOKEN_NAME = "default-name"


@dataclass(frozen=True)
class RemoteRef:
    """Where a key lives in an External Secrets store."""

    key: str
    property: str | None = None


@dataclass(frozen=True)
class ExternalSecretsSpec:
    store_kind: str = "ClusterSecretStore"
    store_name: str | None = None
    refresh_interval: str = "1h"
    remote_ref: RemoteRef = RemoteRef("nim/{project}/{deployment}", "api_key")
    project_remote_ref: RemoteRef = RemoteRef("nim/{project}", "api_key")
    account_remote_ref: RemoteRef = RemoteRef("nim/account", "api_key")
    pin_version: bool = False


@dataclass(frozen=True)
class VaultSpec:
    mount: str = "secret"
    path: str = "nim/{project}/{deployment}"
    project_path: str = "nim/{project}"
    account_path: str = "nim/account"
    type: str = "kv-v2"
    key: str = "api_key"
    vault_auth_ref: str | None = None
    refresh_after: str = "1h"
    rollout_restart: bool = True
    pin_version: bool = False


@dataclass(frozen=True)
class SecretsSpec:
    provider: str = "none"
    scope: str = "deployment"
    scope_given: bool = True
    """False when the config leaves `scope` out: it then follows the target
    (`default_scope`)."""
    external_secrets: ExternalSecretsSpec = ExternalSecretsSpec()
    vault: VaultSpec = VaultSpec()


def project_pull_secret(target: str) -> str:
    """The pull Secret a project's deployments share (secrets.scope project) on `target`."""
    return ACCOUNT_PULL_SECRET if target == "current" else PROJECT_PULL_SECRET


def project_pull_scaffold(target: str) -> str | None:
    """The shared pull Secret the secret manager fills, None where the controller writes it."""
    return None if target == "current" else PROJECT_PULL_SECRET


def default_scope(target: str) -> str:
    """`secrets.scope` when the config leaves it out: on current one key per project, the
    project Account the dashboard's wizard needs (docs/targets.md); on redesign one key per
    deployment, as the redesign proposes."""
    return "project" if target == "current" else "deployment"


@dataclass(frozen=True)
class AirGapSpec:
    mirror: str
    pin_digests: bool = False


@dataclass(frozen=True)
class CatalogSpec:
    file: Path | None = None
    extended: Path | None = None
    config_map_name: str = "nim-models-data"
    models: tuple[str, ...] = ()
    emit: bool = True


@dataclass(frozen=True)
class ServingDefaults:
    """`spec.platform.serving`: what a deployment without its own setting gets. Token auth is
    off by default, as in the NIM wizard (docs/backend-kserve.md#serving-options)."""

    external_route: bool = False
    token_auth: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformSpec:
    namespace: str = DEFAULT_NAMESPACE
    catalog: CatalogSpec = CatalogSpec()
    templates: tuple[str, ...] = ("http",)
    manage_dashboard: bool = True
    disconnected: bool = False
    target: str = DEFAULT_TARGET
    manage_account: bool = True
    data_science_cluster: str = "default-dsc"
    backend: str = "kserve"
    account_key_revision: int | None = None
    nim_operator_version: str = "v3.1.2"
    serving: ServingDefaults = ServingDefaults()


BACKENDS = ("kserve", "nim-operator")
# NIM Operator versions nim-gitops renders for: the newest release, and main (unreleased)
NIM_OPERATOR_RELEASE = "v3.1.2"
NIM_OPERATOR_MAIN = "main"


def nim_service_needs_auth_secret(version: str) -> bool:
    """Whether NIMService `spec.authSecret` is required: every release up to v3.1.2 (its CRD's
    `required: [authSecret, image]` and its webhook's `validateAuthSecret`), and the operator
    reads `NGC_API_KEY` from that Secret as a non-optional secretKeyRef (NVIDIA/k8s-nim-operator
    v3.1.2 api/apps/v1alpha1/nimservice_types.go `GetStandardEnv`). main made it optional
    (PR #910, not released)."""
    return version != NIM_OPERATOR_MAIN


@dataclass(frozen=True)
class CacheSource:
    """Where mirrored weights live: a PVC to clone, an S3 prefix or an OCI artifact.

    `image` is the copy tool's image (aws or oras CLI); `secret` the S3 credentials or the OCI
    registry's pull Secret.
    """

    kind: str  # pvc | s3 | oci
    location: str
    image: str | None = None
    secret: str | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class CacheSpec:
    """How a deployment's cache PVC is filled before the NIM starts."""

    preload: bool = False
    profiles: tuple[str, ...] = ()
    source: CacheSource | None = None


@dataclass(frozen=True)
class DeploymentSpec:
    """One NIM deployment as written in the config (before catalog resolution)."""

    name: str
    model: str
    path: str
    display_name: str | None = None
    tag: str | None = None
    allow_floating_tags: bool | None = None
    protocol: str = "http"
    replicas: int = 1
    gpus: int = 1
    storage_size: str = "50Gi"
    storage_class: str | None = None
    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)
    hardware_profile: tuple[str, str | None] | None = None
    api_key_remote_ref: RemoteRef | None = None
    api_key_vault: tuple[str | None, str | None] | None = None
    backend: str = "kserve"
    cache: CacheSpec = CacheSpec()
    key_revision: int | None = None
    key_required: bool = False
    external_route: bool = False
    token_auth: tuple[str, ...] = ()
    """The token names ("service accounts" in the dashboard's form); empty: no token auth."""
    env: tuple[Mapping[str, Any], ...] = ()
    args: tuple[str, ...] = ()
    min_replicas: int | None = None
    max_replicas: int | None = None
    existing_claim: str | None = None
    sub_path: str | None = None

    @property
    def scaling(self) -> tuple[int, int]:
        """(minReplicas, maxReplicas): `replicas` for either bound the config leaves out."""
        low = self.replicas if self.min_replicas is None else self.min_replicas
        return low, self.replicas if self.max_replicas is None else self.max_replicas

    @property
    def renders_nim_cache(self) -> bool:
        """Backend nim-operator downloading from NGC through a NIMCache: not with mirrored
        weights (`cache.source`), nor on an existing claim (served as the wizard's PVC
        selection serves it, `storage.pvc`)."""
        return (self.backend == "nim-operator" and self.cache.source is None
                and self.existing_claim is None)


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    path: str
    manage_namespace: bool = True
    deployments: tuple[DeploymentSpec, ...] = ()
    key_revision: int | None = None


@dataclass(frozen=True)
class Config:
    """A loaded, schema-checked config file."""

    name: str
    source: str
    base_dir: Path
    platform: PlatformSpec
    secrets: SecretsSpec
    projects: tuple[ProjectSpec, ...]
    air_gap: AirGapSpec | None = None
    allow_floating_tags: bool = False
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False)

    @property
    def secrets_provider(self) -> str:
        """The provider in force: air-gapped configs never reference secrets."""
        return "none" if self.air_gap else self.secrets.provider

    @property
    def disconnected(self) -> bool:
        """No key collection and no NGC at run time: air-gapped, or declared disconnected."""
        return self.air_gap is not None or self.platform.disconnected

    @property
    def project_placeholders(self) -> bool:
        """Whether each project holds the placeholder key Secret `nvidia-nim-secrets`: target
        current, disconnected, no secret provider, a project Account per project
        (generator/render/account.py placeholder_key)."""
        return (self.platform.target == "current" and self.disconnected
                and self.secrets_provider == "none" and self.secrets.scope == "project")


@dataclass(frozen=True)
class Deployment:
    """A deployment resolved against the catalog: everything a template needs."""

    project: str
    spec: DeploymentSpec
    model: ModelEntry
    tag: str
    image: str
    secret_scope: str = "deployment"
    target: str = DEFAULT_TARGET
    key_revision: int | None = None
    """The revision of the key this deployment reads (its own, or its project's)."""
    needs_key: bool = True
    needs_pull_secret: bool = True

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def api_key_secret(self) -> str:
        """The Opaque key Secret the runtime reads: its own, or the project's shared one."""
        if self.secret_scope == "project":
            return PROJECT_KEY_SECRET
        return f"nim-api-key-{self.spec.name}"

    @property
    def pull_secret(self) -> str:
        """The nvcr.io pull Secret: its own, or its project's. On current a project's is the
        one odh-model-controller writes for the project Account, as the wizard's runtimes use
        (`status.nimPullSecret`); on redesign, with no Account, a scaffolded `ngc-secret`."""
        if self.secret_scope == "project":
            return project_pull_secret(self.target)
        return f"nim-image-pull-{self.spec.name}"

    @property
    def template_name(self) -> str:
        """`opendatahub.io/template-name` as the target's dashboard leaves it: today's wizard
        writes the runtime's own name on every edit (odh-dashboard packages/kserve/src/
        deployServer.ts `templateName ?? servingRuntime.metadata.name`, its edit PUTs the
        runtime since #9688); the redesign records its own Template."""
        if self.target == "current":
            return self.spec.name
        return f"nim-{self.spec.protocol}-template"

    @property
    def template_display_name(self) -> str:
        """`opendatahub.io/template-display-name`: on current the runtime's display name, as
        the wizard's edit writes it (deployServer.ts); the redesign's Template's name."""
        return self.runtime_display_name if self.target == "current" else "NVIDIA NIM"

    @property
    def runtime_display_name(self) -> str:
        """The ServingRuntime's display name as the target's dashboard writes it: today's
        legacy form sets the deployment's name (on create and on every edit), and the wizard's
        edit keeps it."""
        return self.spec.name if self.target == "current" else "NVIDIA NIM"

    @property
    def pvc_name(self) -> str:
        """The cache claim: an existing one the config names, else `<name>-cache`, which is not
        `nim-pvc-*` and not labelled managed, so the dashboard never auto-deletes it."""
        return self.spec.existing_claim or f"{self.spec.name}-cache"

    @property
    def service_account(self) -> str:
        """The ServiceAccount whose tokens call the model (odh-dashboard
        packages/model-serving/src/concepts/auth.ts getTokenNames: `<name>-sa`)."""
        return f"{self.spec.name}-sa"

    def token_secret(self, token: str) -> str:
        """A token's Secret, as frontend/src/api/k8s/secrets.ts assembleSecretSA names it:
        `<token>-<service account>`."""
        return f"{token}-{self.service_account}"


@dataclass(frozen=True)
class SecretRefs:
    """The key and pull Secret names a deployment's objects reference (None: not referenced).
    Every template of a deployment takes them from `Plan.secret_refs`, so none names a Secret
    that its scaffolds (or its project's) do not create."""

    key: str | None
    pull: str | None


@dataclass(frozen=True)
class Plan:
    """The config resolved against its catalog: the input of every renderer."""

    config: Config
    catalog: Catalog
    emitted_catalog: Catalog
    deployments: tuple[Deployment, ...]
    digests: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Details] = field(default_factory=dict)  # the extended details read

    @property
    def platform_namespace(self) -> str:
        return self.config.platform.namespace

    @property
    def secrets_provider(self) -> str:
        """The provider in force (`Config.secrets_provider`)."""
        return self.config.secrets_provider

    @property
    def target(self) -> str:
        return self.config.platform.target

    @property
    def project_placeholders(self) -> bool:
        """`Config.project_placeholders` of the plan's config."""
        return self.config.project_placeholders

    def secret_refs(self, d: Deployment) -> SecretRefs:
        """What `d` references: nothing without a secret provider, else the Secrets it needs
        (`needs_key`, `needs_pull_secret`: generator/keyless.py deployment_needs). A NIMService
        on an operator that requires `authSecret` names the project's placeholder Secret when
        there is no provider."""
        if self.secrets_provider == "none":
            if d.spec.backend == "nim-operator" and self.project_placeholders and \
                    nim_service_needs_auth_secret(self.config.platform.nim_operator_version):
                return SecretRefs(PROJECT_KEY_SECRET, None)
            return SecretRefs(None, None)
        return SecretRefs(d.api_key_secret if d.needs_key else None,
                          d.pull_secret if d.needs_pull_secret else None)

    @property
    def emits_model_list(self) -> bool:
        """Whether the render writes the catalog as a ConfigMap: the redesign's metadata
        ConfigMap, or on current the disconnected `odh-nim-account-cm` nobody else writes."""
        catalog = self.config.platform.catalog
        return bool(catalog.emit or self.config.air_gap) and (
            self.target == "redesign" or self.disconnected)

    @property
    def disconnected(self) -> bool:
        """`Config.disconnected` of the plan's config."""
        return self.config.disconnected

    @property
    def configmap_name(self) -> str:
        """redesign's metadata ConfigMap name: air-gapped configs get their own custom one."""
        name = self.config.platform.catalog.config_map_name
        if self.config.air_gap and name == catalog_mod.DEFAULT_CONFIGMAP_NAME:
            return AIRGAP_CONFIGMAP
        return name

    @cached_property
    def model_list(self) -> dict[str, Any] | None:
        """The emitted catalog as the ConfigMap the render writes (see emits_model_list), or
        None: built once, for resolve's size check and for the render (which copies it into
        each namespace that gets one)."""
        if not self.emits_model_list:
            return None
        name = self.configmap_name if self.target == "redesign" else ACCOUNT_CONFIGMAP
        return catalog_mod.configmap(self.emitted_catalog.models.values(), name=name,
                                     namespace=self.platform_namespace)

    @cached_property
    def model_list_json_size(self) -> int:
        """`catalog.last_applied_size` of `model_list` (0 without one), measured once."""
        return catalog_mod.last_applied_size(self.model_list) if self.model_list else 0
