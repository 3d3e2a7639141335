"""Generating the Helm chart: Jinja sources in `templates/chart/` + the embedded catalog."""

from __future__ import annotations

import hashlib
from typing import Any

from generator import __version__, serving
from generator import catalog as catalog_mod
from generator.catalog import Catalog
from generator.chart.catalog_data import catalog_json
from generator.chart.env import CHART_SOURCES, chart_environment
from generator.chart.schema import values_schema_json
from generator.config import _DASHBOARD_PVC, _SYSTEM_NAMESPACE
from generator.models import (
    ACCOUNT_CONFIGMAP,
    ACCOUNT_KEY_SECRET,
    ACCOUNT_NAME,
    ACCOUNT_PULL_SECRET,
    AIRGAP_CONFIGMAP,
    DEFAULT_NAMESPACE,
    DEFAULT_TOKEN_NAME,
    KEY_REVISION_ANNOTATION,
    NIM_OPERATOR_MAIN,
    NIM_OPERATOR_RELEASE,
    PLACEHOLDER_KEY,
    PROJECT_KEY_SECRET,
    PROJECT_PULL_SECRET,
    ExternalSecretsSpec,
    PlatformSpec,
    VaultSpec,
)
from generator.render import account, objects, weights
from generator.render.env import templates_dir
from generator.render.secret_templates import ESO_TEMPLATES, vso_templates
from generator.targets import DEFAULT_TARGET

CHART_NAME = "nim-gitops"
CATALOG_FILE = "files/catalog.json"
SCHEMA_FILE = "values.schema.json"
# Chart files whose names the writer's plain-name rule would not allow on its own.
TOOL_NAMES = frozenset({".helmignore"})
# Stands for the Vault field name in the VSO templates; the chart substitutes the real one.
VSO_KEY_MARK = "NIM_GITOPS_VAULT_KEY"


def source_names() -> list[str]:
    """Chart paths produced from Jinja sources (`<path>.j2` under templates/chart/)."""
    root = templates_dir() / CHART_SOURCES
    return sorted(p.relative_to(root).as_posix()[: -len(".j2")]
                  for p in root.rglob("*.j2") if p.is_file())


def catalog_digest(cat: Catalog) -> str:
    """A short content hash of a catalog, recorded in Chart.yaml."""
    text = catalog_mod.configmap_yaml(cat.models.values())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def context(cat: Catalog, catalog_name: str) -> dict[str, Any]:
    """Everything the chart sources may use; the renderer's constants, never copies."""
    mark = '"' + VSO_KEY_MARK + '"'
    return {
        "chart_name": CHART_NAME,
        "version": __version__,
        "catalog_name": catalog_name,
        "catalog_models": sorted(cat.models),
        "catalog_digest": catalog_digest(cat),
        "catalog_file": CATALOG_FILE,
        "default_namespace": DEFAULT_NAMESPACE,
        "default_configmap": catalog_mod.DEFAULT_CONFIGMAP_NAME,
        "airgap_configmap": AIRGAP_CONFIGMAP,
        "default_target": DEFAULT_TARGET,
        "default_dsc": PlatformSpec.data_science_cluster,
        "account_name": ACCOUNT_NAME,
        "account_key_secret": ACCOUNT_KEY_SECRET,
        "placeholder_key": PLACEHOLDER_KEY,
        "nim_operator_release": NIM_OPERATOR_RELEASE,
        "nim_operator_main": NIM_OPERATOR_MAIN,
        "account_configmap": ACCOUNT_CONFIGMAP,
        "model_list": account.MODEL_LIST,
        "project_key_secret": PROJECT_KEY_SECRET,
        "key_revision_annotation": KEY_REVISION_ANNOTATION,
        "default_token_name": DEFAULT_TOKEN_NAME,
        "never_overridden": serving.NEVER_OVERRIDDEN,
        "runtime_set": serving.RUNTIME_SET,
        "secret_name_pattern": serving.SECRET_NAME_PATTERN,
        "token_value_pattern": serving.TOKEN_VALUE_PATTERN,
        "project_pull_secret": PROJECT_PULL_SECRET,
        "account_pull_secret": ACCOUNT_PULL_SECRET,
        "remote_ref": ExternalSecretsSpec.remote_ref,
        "project_remote_ref": ExternalSecretsSpec.project_remote_ref,
        "account_remote_ref": ExternalSecretsSpec.account_remote_ref,
        "vault_path": VaultSpec.path,
        "project_vault_path": VaultSpec.project_path,
        "account_vault_path": VaultSpec.account_path,
        "ssa_threshold": catalog_mod.SSA_THRESHOLD,
        "api_protocol": objects.API_PROTOCOL,
        "template_display_name": objects.TEMPLATE_DISPLAY_NAME,
        "writable_dirs": objects.WRITABLE_DIRS,
        "default_requests": objects.DEFAULT_REQUESTS,
        "default_limits": objects.DEFAULT_LIMITS,
        "fill_requests": objects.FILL_REQUESTS,
        "fill_limits": objects.FILL_LIMITS,
        "cache_mount": weights.CACHE_MOUNT,
        "marker_dir": weights.MARKER_DIR,
        "job_name_room": weights.JOB_NAME_ROOM,
        "eso_templates": ESO_TEMPLATES,
        "vso_templates": vso_templates(VSO_KEY_MARK),
        "vso_key_mark": mark,
        "system_namespace": f"^(?:{_SYSTEM_NAMESPACE.pattern})$",
        "dashboard_pvc": _DASHBOARD_PVC,
    }


def chart_files(cat: Catalog, catalog_name: str) -> dict[str, str]:
    """Relative path -> text of every file of the chart (deterministic)."""
    env = chart_environment()
    ctx = context(cat, catalog_name)
    files = {name: env.get_template(f"{name}.j2").render(**ctx) for name in source_names()}
    files[CATALOG_FILE] = catalog_json(cat)
    files[SCHEMA_FILE] = values_schema_json()
    return dict(sorted(files.items()))
