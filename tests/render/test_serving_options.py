"""Serving options (issue #28) rendered as the OpenShift AI dashboard writes the same choices.

The expected objects below are test data transcribed from odh-dashboard at b9d09633 (the
2026-08-22 snapshot; no newer stored version of these files differs in what they write):

- packages/kserve/src/deployUtils.ts `applyAuth`: label `networking.kserve.io/visibility:
  exposed` only with an external route, annotation `security.opendatahub.io/enable-auth`
  "true"/"false"; `setUpTokenAuth`/`createSecrets` create the objects below;
- packages/model-serving/src/concepts/auth.ts `getTokenNames`: `<name>-sa`, `<name>-view-role`,
  `<name>-view`;
- frontend/src/api/k8s/serviceAccounts.ts `assembleServiceAccount` (name and namespace only),
  roles.ts `generateRoleInferenceService`, roleBindings.ts `generateRoleBindingServiceAccount`,
  secrets.ts `assembleSecretSA` (`<token>-<sa>`, type kubernetes.io/service-account-token, no
  data);
- packages/kserve/src/hardware.ts `applyReplicas` (min and max), deployUtils.ts
  `applyRuntimeArgs`/`applyEnvironmentVariables` (spec.predictor.model.args/env; a
  secretKeyRef env is what odh-dashboard PR #9726, open, writes);
- packages/nim-serving/src/api/nimservices/k8s.ts `assembleNIMService` (spec.labels,
  spec.annotations, spec.env, spec.args) and pages/deploymentWizard/fields/
  nimPVCApplyExtract.ts `applyNIMPVCFieldData` (spec.storage.pvc {name, subPath});
- packages/nim-serving/src/nimKServe/fields/nimPVCApplyExtract.ts `addPVCVolumeToRuntime`
  (volume named after the claim, mount at /mnt/models/cache with its subPath).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli
from tests.kubeconform_support import StrictChecker, rendered_valid

EXAMPLE = EXAMPLES / "serving-options" / "nim-gitops.yaml"
NS = "team-serving"
TARGETS = ("current", "redesign")


def _render(target: str, config: Path = EXAMPLE) -> list[dict[str, Any]]:
    result = run_cli(["render", str(config), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    return list(yamlio.load_all(result.out, "render"))


def _get(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def dashboard_token_objects(name: str, tokens: list[str]) -> list[dict[str, Any]]:
    """What setUpTokenAuth and createSecrets create for deployment `name` (without the owner
    reference to the InferenceService's UID, which Git cannot know)."""
    sa = f"{name}-sa"
    dashboard = {"opendatahub.io/dashboard": "true"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": sa, "namespace": NS}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": f"{name}-view-role", "namespace": NS, "labels": dashboard},
         "rules": [{"verbs": ["get"], "apiGroups": ["serving.kserve.io"],
                    "resources": ["inferenceservices"], "resourceNames": [name]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": f"{name}-view", "namespace": NS, "labels": dashboard},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": f"{name}-view-role"},
         "subjects": [{"kind": "ServiceAccount", "name": sa}]},
        *({"apiVersion": "v1", "kind": "Secret",
           "metadata": {"name": f"{token}-{sa}", "namespace": NS, "labels": dashboard,
                        "annotations": {"kubernetes.io/service-account.name": sa,
                                        "openshift.io/display-name": token}},
           "type": "kubernetes.io/service-account-token"} for token in tokens),
    ]


ENV = [{"name": "NIM_MAX_MODEL_LEN", "value": "8192"},
       {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token",
                                                           "key": "HF_TOKEN"}}}]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", ["llama-kserve", "llama-operator"])
def test_token_auth_objects_are_the_dashboards(target: str, name: str) -> None:
    objects = _render(target)
    tokens = ["ci-pipeline", "chat-frontend"]
    for expected in dashboard_token_objects(name, tokens):
        assert _get(objects, expected["kind"], expected["metadata"]["name"]) == expected


@pytest.mark.parametrize("target", TARGETS)
def test_token_auth_true_is_the_forms_default_token(target: str) -> None:
    objects = _render(target)
    for expected in dashboard_token_objects("mistral-b", ["default-name"]):
        assert _get(objects, expected["kind"], expected["metadata"]["name"]) == expected
    # no token auth: none of its objects
    assert not [o for o in objects if o["metadata"]["name"].startswith("mistral-a-")]


@pytest.mark.parametrize("target", TARGETS)
def test_inference_service_carries_route_auth_env_args_and_bounds(target: str) -> None:
    isvc = _get(_render(target), "InferenceService", "llama-kserve")
    assert isvc["metadata"]["labels"]["networking.kserve.io/visibility"] == "exposed"
    assert isvc["metadata"]["annotations"]["security.opendatahub.io/enable-auth"] == "true"
    predictor = isvc["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 3)
    assert predictor["model"]["args"] == ["--max-num-seqs", "64"]
    assert predictor["model"]["env"] == [*ENV, {"name": "NIM_LOG_LEVEL", "valueFrom": {
        "configMapKeyRef": {"name": "nim-tuning", "key": "log-level"}}}]
    plain = _get(_render(target), "InferenceService", "mistral-a")
    assert "networking.kserve.io/visibility" not in plain["metadata"]["labels"]
    assert plain["metadata"]["annotations"].get("security.opendatahub.io/enable-auth") == (
        None if target == "current" else "false")
    assert "args" not in plain["spec"]["predictor"]["model"]
    assert "env" not in plain["spec"]["predictor"]["model"]


@pytest.mark.parametrize("target", TARGETS)
def test_nimservice_carries_route_auth_env_args_and_an_hpa(target: str) -> None:
    spec = _get(_render(target), "NIMService", "llama-operator")["spec"]
    assert spec["labels"] == {"networking.kserve.io/visibility": "exposed"}
    assert spec["annotations"]["security.opendatahub.io/enable-auth"] == "true"
    assert spec["env"] == ENV
    assert spec["args"] == ["--max-num-seqs", "64"]
    # the operator's HPA between the bounds; replicas must then be absent (CRD rule)
    assert spec["scale"] == {"enabled": True, "hpa": {"minReplicas": 1, "maxReplicas": 3}}
    assert "replicas" not in spec


@pytest.mark.parametrize("target", TARGETS)
def test_an_existing_claim_is_mounted_never_rendered(target: str) -> None:
    objects = _render(target)
    claims = {o["metadata"]["name"] for o in objects if o["kind"] == "PersistentVolumeClaim"}
    assert "shared-nim-cache" not in claims
    assert not {"mistral-a-cache", "mistral-b-cache"} & claims
    runtime = _get(objects, "ServingRuntime", "mistral-a")["spec"]
    assert runtime["volumes"][-1] == {"name": "shared-nim-cache", "persistentVolumeClaim": {
        "claimName": "shared-nim-cache"}}
    assert runtime["containers"][0]["volumeMounts"][-1] == {
        "name": "shared-nim-cache", "mountPath": "/mnt/models/cache", "subPath": "mistral-a"}
    service = _get(objects, "NIMService", "mistral-b")
    assert service["spec"]["storage"] == {"pvc": {"name": "shared-nim-cache",
                                                  "subPath": "mistral-b"}}
    assert not [o for o in objects if o["kind"] == "NIMCache"
                and o["metadata"]["name"] == "mistral-b"]


def test_an_existing_claim_is_never_pruned(tmp_path: Path) -> None:
    """A claim nim-gitops never wrote is in no kustomization: Argo CD and Flux prune only
    what the tree lists, so moving off the claim leaves it alone."""
    out = tmp_path / "out"
    assert run_cli(["render", str(EXAMPLE), "-o", str(out)]).code == 0
    text = "\n".join(p.read_text("utf-8") for p in out.rglob("*.yaml"))
    assert "kind: PersistentVolumeClaim\nmetadata:\n  name: shared-nim-cache" not in text
    assert not list(out.rglob("persistentvolumeclaim-shared-nim-cache.yaml"))


@pytest.mark.parametrize("target", TARGETS)
def test_no_token_key_or_credential_is_rendered(tmp_path: Path, target: str) -> None:
    out = tmp_path / target
    assert run_cli(["render", str(EXAMPLE), "-o", str(out), "--target", target]).code == 0
    for path in out.rglob("*.yaml"):
        for obj in yamlio.load_all(path.read_text("utf-8"), str(path)):
            if obj and obj.get("kind") == "Secret":
                assert obj["type"] == "kubernetes.io/service-account-token", path
                assert not {"data", "stringData"} & set(obj), path
        assert "nvapi-" not in path.read_text("utf-8")


@pytest.mark.parametrize("target", TARGETS)
def test_example_passes_strict_schemas(strict_checker: StrictChecker, tmp_path: Path,
                                       target: str) -> None:
    """Every object under the CRDs in ../shared/crds and the Kubernetes core schemas, strict."""
    checked = rendered_valid(strict_checker, EXAMPLE, target, tmp_path)
    assert {("InferenceService", "llama-kserve"), ("NIMService", "llama-operator"),
            ("NIMService", "mistral-b"), ("ServingRuntime", "mistral-a"),
            ("ServiceAccount", "llama-kserve-sa"), ("Role", "llama-kserve-view-role"),
            ("RoleBinding", "llama-kserve-view"),
            ("Secret", "ci-pipeline-llama-kserve-sa")} <= checked


def test_platform_defaults_and_a_deployments_own_setting(tmp_path: Path) -> None:
    config = yamlio.load_one(EXAMPLE.read_text("utf-8"), str(EXAMPLE))
    config["spec"]["platform"]["serving"] = {"externalRoute": True,
                                             "tokenAuth": {"serviceAccounts": ["team"]}}
    for dep in config["spec"]["projects"][0]["deployments"]:
        dep.pop("externalRoute", None)
        dep.pop("tokenAuth", None)
    config["spec"]["projects"][0]["deployments"][2]["externalRoute"] = False
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    objects = _render("current", path)
    assert _get(objects, "InferenceService", "llama-kserve")["metadata"]["labels"][
        "networking.kserve.io/visibility"] == "exposed"
    assert "networking.kserve.io/visibility" not in _get(
        objects, "InferenceService", "mistral-a")["metadata"]["labels"]
    assert _get(objects, "Secret", "team-mistral-a-sa")["type"] == \
        "kubernetes.io/service-account-token"
