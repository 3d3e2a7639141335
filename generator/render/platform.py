"""The objects of the applications namespace (and the cluster), per target.

`redesign` renders the proposed contract: the `nim-models-data` ConfigMap, the secret-free
`nim-*-template` Templates and `OdhDashboardConfig.spec.nimConfig`. `current` renders what
today's OpenShift AI reads instead: the Account that enables NIM (its key filled by the secret
manager), the air-gapped model list and DataScienceCluster flag, and the one NIM field of
today's OdhDashboardConfig. docs/targets.md says who reads each object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator import catalog as catalog_mod
from generator.models import ACCOUNT_KEY_SECRET, Plan, RemoteRef
from generator.render.account import account_objects, disconnected_model_list
from generator.render.objects import (
    PLATFORM,
    KeyHolder,
    RenderedObject,
    _render,
    catalog_configmap,
    scaffolds,
)


def _redesign(plan: Plan) -> Iterator[dict[str, Any]]:
    config = plan.config
    namespace = plan.platform_namespace
    yield from catalog_configmap(plan, namespace)  # the metadata ConfigMap
    for protocol in config.platform.templates:
        yield from _render("platform/template.yaml.j2", protocol=protocol, namespace=namespace)
    if config.platform.manage_dashboard:
        name = plan.configmap_name
        custom = name if name != catalog_mod.DEFAULT_CONFIGMAP_NAME else None
        yield from _render("platform/dashboard-config.yaml.j2", namespace=namespace,
                           custom_configmap=custom, disconnected=plan.disconnected)


def _account_key(plan: Plan) -> list[dict[str, Any]]:
    """The secret-manager objects behind the Account's `nvidia-nim-access` Secret."""
    secrets = plan.config.secrets
    holder = KeyHolder(plan.platform_namespace, ACCOUNT_KEY_SECRET, None,
                       revision=plan.config.platform.account_key_revision)
    ref = secrets.external_secrets.account_remote_ref
    # no placeholders here, but `{{`/`}}` unescape as in every other key location
    return scaffolds(plan.secrets_provider, secrets, holder,
                     RemoteRef(ref.key.format(), ref.property),
                     secrets.vault.account_path.format(), secrets.vault.key)


def _current(plan: Plan) -> Iterator[dict[str, Any]]:
    config = plan.config
    namespace = plan.platform_namespace
    if config.platform.manage_account:
        yield from _account_key(plan)
        yield from account_objects(plan, namespace, ACCOUNT_KEY_SECRET)
    yield from disconnected_model_list(plan, namespace)
    if plan.disconnected:
        yield from _render("platform/datasciencecluster-airgap.yaml.j2",
                           name=config.platform.data_science_cluster)
    if config.platform.manage_dashboard:
        yield from _render("platform/dashboard-nim-enabled.yaml.j2", namespace=namespace)


def platform_objects(plan: Plan) -> Iterator[RenderedObject]:
    """The platform objects of the plan's target, then the air-gap mirror sets."""
    config = plan.config
    objects = _redesign(plan) if plan.target == "redesign" else _current(plan)
    for obj in objects:
        yield RenderedObject(PLATFORM, obj)
    if config.air_gap:
        for obj in _render("airgap/mirror-sets.yaml.j2", mirror=config.air_gap.mirror,
                           pin_digests=config.air_gap.pin_digests):
            yield RenderedObject(PLATFORM, obj)
