"""target current: the objects today's odh-model-controller and dashboard read for NIM.

The `Account` (`nim.opendatahub.io/v1`) is reconciled by odh-model-controller
(`internal/controller/nim/account_controller.go`): it validates the key named by
`spec.apiKeySecret` (data key `api_key`), writes the model list `<account>-cm`, the Template
`<account>-template` and the pull secret `<account>-pull`, and filters the models by the
ConfigMap named in `spec.modelListConfig` (`data.models`, a JSON array of model names). In
air-gapped mode it writes no model list and points the dashboard at `<account>-cm` in the
applications namespace (`internal/controller/nim/handlers/configmap_handler.go`), which the
admin supplies: that is the ConfigMap rendered here. The controller still reads the key of
the Secret `spec.apiKeySecret` names when air-gapped (`handlers/pull_secret_handler.go`
`getApplyConfig`), so where no secret manager fills it that Secret is rendered with a value
that is plainly not a key (`placeholder_key`).
"""

from __future__ import annotations

import json
from typing import Any

from generator.models import ACCOUNT_NAME, PLACEHOLDER_KEY, Plan
from generator.render.objects import _render, catalog_configmap

MODEL_LIST = "nim-selected-models"


def placeholder_key(plan: Plan, namespace: str, name: str) -> list[dict[str, Any]]:
    """The Secret `name` holding no key, where a disconnected Account's key Secret would
    otherwise not exist (no secret provider); nothing otherwise."""
    if not plan.disconnected or plan.secrets_provider != "none":
        return []
    return _render("platform/placeholder-key.yaml.j2", name=name, namespace=namespace,
                   placeholder=PLACEHOLDER_KEY)


def account_objects(plan: Plan, namespace: str, api_key_secret: str) -> list[dict[str, Any]]:
    """The Account of `namespace`, its placeholder key Secret when disconnected without a
    secret provider and, when the catalog has an allow-list and the controller fetches models
    (connected), the ConfigMap its `modelListConfig` names."""
    allow = list(plan.config.platform.catalog.models)
    model_list = MODEL_LIST if allow and not plan.disconnected else None
    objects = placeholder_key(plan, namespace, api_key_secret)
    if model_list:
        objects += _render("platform/model-list.yaml.j2", name=model_list, namespace=namespace,
                           models_json=json.dumps(allow))
    objects += _render("platform/account.yaml.j2", name=ACCOUNT_NAME, namespace=namespace,
                       api_key_secret=api_key_secret, model_list=model_list)
    return objects


def disconnected_model_list(plan: Plan, namespace: str) -> list[dict[str, Any]]:
    """`odh-nim-account-cm` in `namespace` when nobody else writes it: only in disconnected
    mode (connected, the controller force-applies that name, so Git must never own it)."""
    return catalog_configmap(plan, namespace)
