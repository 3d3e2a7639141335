"""Policy rules beyond the corpus: sizes, mirrors, digests, passing cases and their docs."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from generator.catalog import SSA_THRESHOLD
from generator.validate import ValidateOptions, validate_objects
from generator.validate.rules import RULES
from generator.validate.rules.base import Context
from generator.validate.rules.kserve import check_image
from tests.helpers import REPO

OPTIONS = ValidateOptions(ignore_missing_schemas=True)
RUNTIME: dict[str, Any] = {
    "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
    "metadata": {"name": "llama", "namespace": "team-a",
                 "annotations": {"runtimes.opendatahub.io/nvidia-nim": "true"}},
    "spec": {"supportedModelFormats": [{"name": "llama", "version": "1.15.5"}],
             "imagePullSecrets": [{"name": "nim-image-pull-llama"}],
             "containers": [{"name": "kserve-container",
                             "image": "nvcr.io/nim/meta/llama:1.15.5",
                             "env": [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
                                 "name": "nim-api-key-llama", "key": "NGC_API_KEY"}}}]}]},
}
ISVC: dict[str, Any] = {
    "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
    "metadata": {"name": "llama", "namespace": "team-a"},
    "spec": {"predictor": {"model": {"modelFormat": {"name": "llama", "version": "1.15.5"},
                                     "runtime": "llama"}}},
}


def _rules(objects: list[dict[str, Any]], options: ValidateOptions = OPTIONS,
           scaffolds: bool = True) -> set[str]:
    """The rules `objects` break, validated with the scaffolds of RUNTIME's own Secrets in each
    namespace (NIM013 wants them) unless `scaffolds` is False."""
    if scaffolds:
        namespaces = {o["metadata"].get("namespace", "") for o in objects}
        objects = [*objects, *(_vault_static_secret(name, namespace) for namespace in namespaces
                               for name in ("nim-api-key-llama", "nim-image-pull-llama"))]
    report = validate_objects(objects, options)
    return {f.rule for _, f in report.problems()}


def _configmap(size: int, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "nim-models-data", "namespace": "redhat-ods-applications"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {"catalog": "x" * size}}


def test_a_correct_deployment_passes() -> None:
    assert _rules([RUNTIME, ISVC]) == set()


def test_disconnected_runtime_without_secrets_passes() -> None:
    runtime = copy.deepcopy(RUNTIME)
    del runtime["spec"]["imagePullSecrets"]
    del runtime["spec"]["containers"][0]["env"]
    assert _rules([runtime, ISVC]) == set()


def test_model_format_version_must_match() -> None:
    isvc = copy.deepcopy(ISVC)
    isvc["spec"]["predictor"]["model"]["modelFormat"]["version"] = "1.14.0"
    assert _rules([RUNTIME, isvc]) == {"NIM005"}


def test_configmap_over_one_mib_is_refused() -> None:
    assert _rules([_configmap(1024 * 1024 + 1, {
        "argocd.argoproj.io/sync-options": "ServerSideApply=true"})]) == {"NIM008"}


def test_configmap_over_250_kib_needs_server_side_apply() -> None:
    assert _rules([_configmap(SSA_THRESHOLD)]) == {"NIM008"}
    ssa = {"argocd.argoproj.io/sync-options": "Prune=false,ServerSideApply=true"}
    assert _rules([_configmap(SSA_THRESHOLD, ssa)]) == set()
    assert _rules([_configmap(SSA_THRESHOLD - 1024)]) == set()


def test_configmap_threshold_is_renders() -> None:
    """Exactly what render annotates: over SSA_THRESHOLD bytes of last-applied JSON, the
    compact object plus a newline, each `x` of the data one byte of it."""
    base = len('{"apiVersion":"v1","data":{"catalog":""},"kind":"ConfigMap","metadata":'
               '{"name":"nim-models-data","namespace":"redhat-ods-applications"}}\n')
    for size in range(SSA_THRESHOLD - base - 40, SSA_THRESHOLD - base + 40):
        needs = base + size > SSA_THRESHOLD
        assert (_rules([_configmap(size)]) == {"NIM008"}) is needs, size


@pytest.mark.parametrize(("image", "ok"), [
    ("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5", True),
    ("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5-rc1", True),
    ("nvcr.io/nim/meta/llama-3.1-8b-instruct@sha256:" + "a" * 64, True),
    ("nvcr.io/nim/meta/llama-3.1-8b-instruct:latest@sha256:" + "a" * 64, True),
    ("registry.example.com:5000/nvcr/nim/meta/llama:1.15.5", True),
    ("registry.example.com:5000/nvcr/nim/meta/llama:latest", False),
    ("registry.example.com/other/nim/meta/llama:1.15.5", False),
    ("nvcr.io/nim/meta/llama:1", False),
    ("nvcr.io/nim/meta/llama:24.08", False),
    ("nvcr.io/nim/Meta/llama:1.15.5", False),
    ("nvcr.io/nim/meta/llama@sha256:short", False),
    ("", False),
])
def test_image_forms(image: str, ok: bool) -> None:
    context = Context(mirrors=("registry.example.com:5000/nvcr/",))
    assert (check_image(image, context) is None) is ok


def test_mirror_option() -> None:
    runtime = copy.deepcopy(RUNTIME)
    runtime["spec"]["containers"][0]["image"] = "mirror.example.com/nvcr/nim/meta/llama:1.15.5"
    assert _rules([runtime, ISVC]) == {"NIM004"}
    mirrored = ValidateOptions(ignore_missing_schemas=True, mirrors=("mirror.example.com/nvcr",))
    assert _rules([runtime, ISVC], mirrored) == set()


def test_sidecars_of_other_images_are_not_nim_images() -> None:
    runtime = copy.deepcopy(RUNTIME)
    runtime["spec"]["containers"].append({"name": "proxy", "image": "quay.io/x/proxy:latest"})
    assert _rules([runtime, ISVC]) == set()


def test_serverless_host_label() -> None:
    isvc = copy.deepcopy(ISVC)
    isvc["metadata"]["namespace"] = "a-rather-long-project-namespace-name"
    isvc["metadata"]["annotations"] = {"serving.kserve.io/deploymentMode": "Serverless"}
    isvc["metadata"]["name"] = "llama-3-1-8b-instruct"
    runtime = copy.deepcopy(RUNTIME)
    runtime["metadata"]["namespace"] = isvc["metadata"]["namespace"]
    assert _rules([runtime, isvc]) == {"NIM007"}
    del isvc["metadata"]["annotations"]
    assert _rules([runtime, isvc]) == set()


def test_rules_doc_lists_every_rule() -> None:
    text = (REPO / "docs/rules.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| (NIM\d{3}) \| `([a-z0-9-]+)` \|", text, re.MULTILINE))
    assert rows == {rule.id: rule.name for rule in RULES}


def test_rule_ids_are_stable() -> None:
    assert [(r.id, r.name) for r in RULES] == [
        ("NIM001", "no-ngc-key"), ("NIM002", "no-ngc-secret"),
        ("NIM003", "template-without-secrets"), ("NIM004", "pinned-nim-image"),
        ("NIM005", "runtime-matches"), ("NIM006", "own-secrets"), ("NIM007", "kserve-names"),
        ("NIM008", "configmap-size"), ("NIM009", "externalsecret-explicit"),
        ("NIM010", "no-nulls"), ("NIM011", "nim-operator-key-from-secret"),
        ("NIM012", "nim-operator-shared-secrets"), ("NIM013", "secrets-created"),
        ("NIM014", "empty-token-secret")]


# --- NIM006: own secrets, a kept private-mirror pull secret, the project-scope pair ----------

def _project_runtime(key: str = "nvidia-nim-secrets", pull: str = "ngc-secret"
                     ) -> dict[str, Any]:
    runtime = copy.deepcopy(RUNTIME)
    runtime["spec"]["imagePullSecrets"] = [{"name": pull}]
    runtime["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] = key
    return runtime


def _external_secret(target: str, namespace: str = "team-a") -> dict[str, Any]:
    return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": target, "namespace": namespace},
            "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                     "target": {"name": target}}}


def _vault_static_secret(destination: str, namespace: str = "team-a") -> dict[str, Any]:
    return {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret",
            "metadata": {"name": f"vss-{destination}", "namespace": namespace},
            "spec": {"mount": "kv", "path": "nim/team-a", "type": "kv-v2",
                     "destination": {"name": destination, "create": True}}}


def _nim006(objects: list[dict[str, Any]]) -> list[str]:
    report = validate_objects(objects, OPTIONS)
    return [f.path for _, f in report.problems() if f.rule == "NIM006"]


def test_private_mirror_pull_secret_is_kept() -> None:
    """`migrate render` keeps other pull secrets (docs/migration.md): not a finding."""
    runtime = copy.deepcopy(RUNTIME)
    runtime["spec"]["imagePullSecrets"].append({"name": "corp-mirror-pull"})
    assert _nim006([runtime, ISVC]) == []


def test_project_scope_pair_passes_with_its_external_secrets() -> None:
    objects = [_project_runtime(), ISVC, _external_secret("nvidia-nim-secrets"),
               _external_secret("ngc-secret")]
    assert _nim006(objects) == []


def test_project_scope_pair_passes_with_its_vault_static_secrets() -> None:
    objects = [_project_runtime(), ISVC, _vault_static_secret("nvidia-nim-secrets"),
               _vault_static_secret("ngc-secret")]
    assert _nim006(objects) == []


def test_project_scope_pair_without_scaffold_is_the_shared_legacy_secret() -> None:
    key = "$.spec.containers[0].env[0].valueFrom.secretKeyRef.name"
    pull = "$.spec.imagePullSecrets[0].name"
    assert _nim006([_project_runtime(), ISVC]) == [key, pull]
    # only the pull secret scaffolded: the key is still a finding
    assert _nim006([_project_runtime(), ISVC, _external_secret("ngc-secret")]) == [key]


def test_scaffold_in_another_namespace_does_not_count() -> None:
    objects = [_project_runtime(), ISVC, _external_secret("nvidia-nim-secrets", "team-b"),
               _external_secret("ngc-secret", "team-b")]
    assert len(_nim006(objects)) == 2


def test_another_deployments_key_is_still_a_finding_with_a_project_scaffold() -> None:
    objects = [_project_runtime(key="nim-api-key-mistral"), ISVC,
               _external_secret("nvidia-nim-secrets"), _external_secret("ngc-secret")]
    assert _nim006(objects) == ["$.spec.containers[0].env[0].valueFrom.secretKeyRef.name"]


def test_the_pull_secret_is_not_an_api_key() -> None:
    objects = [_project_runtime(key="ngc-secret"), ISVC,
               _external_secret("nvidia-nim-secrets"), _external_secret("ngc-secret")]
    assert _nim006(objects) == ["$.spec.containers[0].env[0].valueFrom.secretKeyRef.name"]
    own_pull_as_key = _project_runtime(key="nim-image-pull-llama", pull="nim-image-pull-llama")
    assert _nim006([own_pull_as_key, ISVC]) == [
        "$.spec.containers[0].env[0].valueFrom.secretKeyRef.name"]


def test_another_deployments_pull_secret_is_a_finding() -> None:
    runtime = copy.deepcopy(RUNTIME)
    runtime["spec"]["imagePullSecrets"] = [{"name": "nim-image-pull-mistral"}]
    assert _nim006([runtime, ISVC]) == ["$.spec.imagePullSecrets[0].name"]


# --- NIM013: every nim-api-key-* / nim-image-pull-* an object names is created ----------------

def _fill_job(key: str = "nim-api-key-llama", pull: str = "nim-image-pull-llama",
              namespace: str = "team-a") -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "llama-fill", "namespace": namespace},
            "spec": {"template": {"spec": {
                "restartPolicy": "Never", "imagePullSecrets": [{"name": pull}],
                "containers": [{"name": "fill", "image": "nvcr.io/nim/meta/llama:2.0.11",
                                "env": [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
                                    "name": key, "key": "NGC_API_KEY"}}}]}]}}}}


def _nim_operator(key: str = "nim-api-key-llama",
                  pull: str = "nim-image-pull-llama") -> list[dict[str, Any]]:
    cache = {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
             "metadata": {"name": "llama", "namespace": "team-a"},
             "spec": {"source": {"ngc": {"modelPuller": "nvcr.io/nim/meta/llama:2.0.11",
                                         "authSecret": key, "pullSecret": pull}},
                      "storage": {"pvc": {"name": "llama-cache"}}}}
    service = {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
               "metadata": {"name": "llama", "namespace": "team-a"},
               "spec": {"image": {"repository": "nvcr.io/nim/meta/llama", "tag": "2.0.11",
                                  "pullSecrets": [pull]},
                        "authSecret": key, "storage": {"nimCache": {"name": "llama"}}}}
    return [cache, service]


def _nim013_paths(objects: list[dict[str, Any]]) -> list[str]:
    report = validate_objects(objects, OPTIONS)
    return sorted(f.path for _, f in report.problems() if f.rule == "NIM013")


def test_secrets_an_object_names_must_be_created() -> None:
    assert _nim013_paths([_fill_job()]) == [
        "$.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
        "$.spec.template.spec.imagePullSecrets[0].name"]
    assert _nim013_paths(_nim_operator()) == [
        "$.spec.authSecret", "$.spec.image.pullSecrets[0]",
        "$.spec.source.ngc.authSecret", "$.spec.source.ngc.pullSecret"]
    assert _rules([_fill_job(), *_nim_operator()], scaffolds=True) == set()


def test_created_means_in_the_same_namespace_by_any_scaffold() -> None:
    key = _external_secret("nim-api-key-llama")
    key["metadata"]["name"] = "renamed"  # the target name is what counts
    pull = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": "nim-image-pull-llama", "namespace": "team-a"}}
    assert _nim013_paths([_fill_job(), key, pull]) == []
    elsewhere = _fill_job(namespace="team-b")
    assert len(_nim013_paths([elsewhere, key, pull])) == 2


@pytest.mark.parametrize("policy", ["Merge", "None"])
def test_a_scaffold_that_does_not_create_its_secret_does_not_count(policy: str) -> None:
    """ESO's Merge and None fill a Secret that must already exist; VSO writes its destination
    only with `create: true`: neither makes the Secret a fill Job names."""
    key = _external_secret("nim-api-key-llama")
    key["spec"]["target"]["creationPolicy"] = policy
    pull = _vault_static_secret("nim-image-pull-llama")
    pull["spec"]["destination"]["create"] = False
    assert len(_nim013_paths([_fill_job(), key, pull])) == 2
    key["spec"]["target"]["creationPolicy"] = "Orphan"  # creates it, just not owned
    pull["spec"]["destination"]["create"] = True
    assert _nim013_paths([_fill_job(), key, pull]) == []


def test_other_secrets_and_templates_are_not_nim013s_business() -> None:
    job = _fill_job(key="my-own-key", pull="registry-pull")
    assert _nim013_paths([job]) == []
    template = {"apiVersion": "template.openshift.io/v1", "kind": "Template",
                "metadata": {"name": "t", "namespace": "redhat-ods-applications"},
                "objects": [copy.deepcopy(RUNTIME)]}
    assert _nim013_paths([template]) == []
