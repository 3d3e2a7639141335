"""`helm template` of the chart == `kubectl kustomize` of `nim-gitops render`, config by config."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import yamlio
from tests.chart.support import assert_same_objects, helm_template, render_build, write_values
from tests.helpers import EXAMPLES, SNAPSHOT

EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))

BASE: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "parity"},
    "spec": {},
}

# Specs that exercise every default and branch of the chart's templates.
VARIANTS: dict[str, dict[str, Any]] = {
    "empty": {},
    "eso-details": {
        "secrets": {"provider": "external-secrets", "externalSecrets": {
            "storeRef": {"kind": "SecretStore", "name": "keys"}, "refreshInterval": "90m",
            "remoteRef": {"key": "kv/{{literal}}/{project}-{deployment}"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"},
            {"name": "b", "model": "nv-embedqa-e5-v5", "tag": "1.10.0",
             "apiKey": {"remoteRef": {"key": "shared/{project}", "property": "k"}}},
        ]}],
    },
    "eso-durations": {
        "secrets": {"provider": "external-secrets", "externalSecrets": {
            "storeRef": {"name": "keys"}, "refreshInterval": "1h30m15.5s"}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "mistral-7b-instruct-v0.3"}]}],
    },
    "eso-subsecond": {
        "secrets": {"provider": "external-secrets", "externalSecrets": {
            "storeRef": {"name": "keys"}, "refreshInterval": "1500ms"}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "mistral-7b-instruct-v0.3"}]}],
    },
    "vault-minimal": {
        "secrets": {"provider": "vault", "vault": {"rolloutRestart": False, "key": 'we"ird\\key'}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "apiKey": {"vault": {"key": "other"}}},
        ]}],
    },
    "knobs": {
        "platform": {"namespace": "opendatahub", "templates": ["grpc"],
                     "catalog": {"emit": False},
                     "dashboard": {"manage": True, "disconnected": True}},
        "allowFloatingTags": True,
        "projects": [{"name": "p1", "namespace": {"manage": False}, "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "latest", "replicas": 0,
             "gpus": 0, "protocol": "grpc", "storage": {"size": 107374182400},
             "resources": {"requests": {"cpu": 3, "memory": "20Gi"},
                           "limits": {"nvidia.com/gpu": "4"}},
             "hardwareProfile": {"name": "gpu-profile"}},
            {"name": "b", "model": "llama-3.1-8b-instruct", "tag": "1.15", "displayName": "B"},
        ]}, {"name": "p2"}],
    },
    "no-dashboard": {
        "platform": {"dashboard": {"manage": False}, "catalog": {"models": ["nv-embedqa-e5-v5"]}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "nv-embedqa-e5-v5", "tag": "latest",
             "allowFloatingTags": True}]}],
    },
    "airgap-subset": {
        "airGap": {"mirror": "mirror.example.com:5000/nvcr//"},
        "secrets": {"provider": "vault"},
        "projects": [
            {"name": "p1", "deployments": [
                {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "1.13.1"},
                {"name": "b", "model": "llama-3.1-8b-instruct", "tag": "1.12.0"},
                {"name": "c", "model": "llama-3.1-8b-instruct", "tag": "latest",
                 "allowFloatingTags": True}]},
            {"name": "p2", "deployments": [{"name": "a", "model": "nv-embedqa-e5-v5"}]},
        ],
    },
    # Key revisions (issue #17): every holder (deployment, project, the Account on current),
    # both providers with and without pinVersion, a holder without a revision beside one with,
    # and a NIMService holder.
    "key-revisions": {
        "platform": {"account": {"keyRevision": 4}},
        "secrets": {"provider": "vault", "scope": "deployment", "vault": {"pinVersion": True}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "keyRevision": 2},
            {"name": "b", "model": "llama-3.1-8b-instruct"},
            {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "keyRevision": 3}]}],
    },
    "key-revisions-vault-annotation": {
        "platform": {"account": {"keyRevision": 1}},
        "secrets": {"provider": "vault", "scope": "deployment"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "keyRevision": 12},
            {"name": "b", "model": "nv-embedqa-e5-v5"},
            {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "keyRevision": 5},
            {"name": "o2", "backend": "nim-operator", "model": "llama-3.1-8b-instruct"}]}],
    },
    "key-revisions-eso": {
        "platform": {"account": {"keyRevision": 2}},
        "secrets": {"provider": "external-secrets", "scope": "deployment",
                    "externalSecrets": {"storeRef": {"name": "keys"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "keyRevision": 1000000},
            {"name": "b", "model": "nv-embedqa-e5-v5"}]}],
    },
    "key-revisions-eso-pinned": {
        "secrets": {"provider": "external-secrets", "scope": "deployment", "externalSecrets": {
            "storeRef": {"name": "keys"}, "pinVersion": True,
            "remoteRef": {"key": "nim/{project}/{deployment}", "property": "k"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "keyRevision": 7},
            {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "keyRevision": 2}]}],
    },
    "key-revisions-project-vault": {
        "platform": {"account": {"keyRevision": 3}},
        "secrets": {"provider": "vault", "scope": "project"},
        "projects": [
            {"name": "p1", "keyRevision": 5, "deployments": [
                {"name": "a", "model": "llama-3.1-8b-instruct"},
                {"name": "b", "model": "nv-embedqa-e5-v5"},
                {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct"}]},
            {"name": "p3", "deployments": [
                {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct"}]},
            {"name": "p2", "deployments": [{"name": "a", "model": "nv-embedqa-e5-v5"}]},
        ],
    },
    "key-revisions-project-vault-pinned": {
        "secrets": {"provider": "vault", "scope": "project", "vault": {"pinVersion": True}},
        "projects": [{"name": "p1", "keyRevision": 2, "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "key-revisions-project-eso": {
        "platform": {"account": {"keyRevision": 9}},
        "secrets": {"provider": "external-secrets", "scope": "project",
                    "externalSecrets": {"storeRef": {"name": "keys"}}},
        "projects": [
            {"name": "p1", "keyRevision": 2, "deployments": [
                {"name": "a", "model": "llama-3.1-8b-instruct"},
                {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct"}]},
            {"name": "p2", "deployments": [{"name": "a", "model": "nv-embedqa-e5-v5"}]},
        ],
    },
    "key-revisions-project-eso-pinned": {
        "secrets": {"provider": "external-secrets", "scope": "project",
                    "externalSecrets": {"storeRef": {"name": "keys"}, "pinVersion": True}},
        "projects": [{"name": "p1", "keyRevision": 6, "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    # Revisions without a secret manager: only the InferenceService's annotation (or the
    # NIMService's, for mirrored weights) changes.
    "key-revisions-no-provider": {
        # main: a NIMService without authSecret (v3.1.2 requires one; see nim-operator-v3)
        "platform": {"account": {"keyRevision": 2}, "nimOperator": {"version": "main"}},
        "secrets": {"scope": "deployment"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "nv-embedqa-e5-v5", "keyRevision": 3},
            {"name": "o", "backend": "nim-operator", "model": "nv-embedqa-e5-v5",
             "keyRevision": 4, "cache": {"source": {"pvc": "mirrored"}}}]}],
    },
    "airgap-custom-name-no-deployments": {
        "airGap": {"mirror": "registry.local"},
        "platform": {"catalog": {"configMapName": "mirrored", "emit": False}},
    },
    # Declared disconnected without a mirror: current writes odh-nim-account-cm (the allow-list
    # subset) and the DataScienceCluster flag, and no nim-selected-models.
    "disconnected": {
        "platform": {"dashboard": {"disconnected": True},
                     "catalog": {"models": ["llama-3.1-8b-instruct", "nv-embedqa-e5-v5"]}},
        "secrets": {"provider": "external-secrets", "externalSecrets": {
            "storeRef": {"name": "keys"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "allow-list": {
        "platform": {"catalog": {"models": ["nv-embedqa-e5-v5", "llama-3.1-8b-instruct"]}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "nv-embedqa-e5-v5"}]}],
    },
    "account-unmanaged": {
        "platform": {"account": {"manage": False}, "dashboard": {"manage": False}},
        "secrets": {"provider": "vault"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "datasciencecluster-name": {
        "airGap": {"mirror": "registry.local"},
        "platform": {"dataScienceCluster": "rhoai"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "project-eso": {
        "platform": {"catalog": {"models": ["llama-3.1-8b-instruct"]}},
        "secrets": {"provider": "external-secrets", "scope": "project", "externalSecrets": {
            "storeRef": {"kind": "SecretStore", "name": "keys"},
            "projectRemoteRef": {"key": "kv/{{literal}}/{project}"},
            "accountRemoteRef": {"key": "kv/admin", "property": "ngc"}}},
        "projects": [
            {"name": "p1", "deployments": [
                {"name": "a", "model": "llama-3.1-8b-instruct"},
                {"name": "b", "model": "llama-3.1-8b-instruct", "protocol": "grpc"}]},
            {"name": "p2", "namespace": {"manage": False}},
        ],
    },
    "project-eso-defaults": {
        "secrets": {"provider": "external-secrets", "scope": "project",
                    "externalSecrets": {"storeRef": {"name": "keys"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "project-vault": {
        "platform": {"dashboard": {"disconnected": True}},
        "secrets": {"provider": "vault", "scope": "project", "vault": {
            "projectPath": "teams/{project}/ngc", "accountPath": "admin/ngc", "key": "k"}},
        "projects": [
            {"name": "p1", "deployments": [
                {"name": "a", "model": "llama-3.1-8b-instruct"},
                {"name": "b", "model": "nv-embedqa-e5-v5"}]},
            {"name": "p2"},
        ],
    },
    "project-vault-defaults": {
        "secrets": {"provider": "vault", "scope": "project", "vault": {"rolloutRestart": False}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}],
    },
    "project-airgap": {
        "airGap": {"mirror": "registry.local"},
        "secrets": {"scope": "project"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct"}]}, {"name": "p2"}],
    },
    # A platform namespace may hold deployments when the project does not manage it.
    "unmanaged-system-namespace": {
        "projects": [{"name": "openshift-ai-demo", "namespace": {"manage": False},
                      "deployments": [{"name": "a", "model": "nv-embedqa-e5-v5"}]},
                     {"name": "kubernetes-team"}],
    },
    "project-none": {
        "secrets": {"scope": "project"},
        "platform": {"catalog": {"models": ["nv-embedqa-e5-v5"]}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "a", "model": "nv-embedqa-e5-v5"}]}],
    },
    # Cache fills (issue #18): every source, on both backends in one project, air-gapped.
    "cache-sources": {
        "airGap": {"mirror": "registry.example.com/nvcr"},
        "platform": {"nimOperator": {"version": "main"}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "k-pvc", "model": "llama-3.1-8b-instruct",
             "cache": {"source": {"pvc": "filled-cache"}}},
            # A URL Go's JSON escapes (& < >) and a quote for the shell: the Job's hash and
            # script agree all the same. The name is cut at 44 characters, dashes dropped.
            {"name": "k-s3-" + "x" * 38 + "--tail", "model": "llama-3.1-8b-instruct",
             "cache": {"source": {"s3": {
                 "url": "s3://weights/nim/llama?a=1&b=<2>'q", "image": "aws:2",
                 "credentialsSecret": "s3-creds", "endpoint": "https://minio.example:9000"}}}},
            {"name": "k-oci", "model": "llama-3.1-8b-instruct", "gpus": 2,
             "cache": {"profiles": ["tp2"], "source": {"oci": {
                 "ref": "registry.example.com/weights/llama:1.0", "image": "oras:1"}}}},
            {"name": "o-pvc", "backend": "nim-operator", "model": "mistral-7b-instruct-v0.3",
             "cache": {"source": {"pvc": "filled-cache"}}},
            {"name": "o-s3", "backend": "nim-operator", "model": "mistral-7b-instruct-v0.3",
             "cache": {"source": {"s3": {"url": "s3://weights/mistral", "image": "aws:2",
                                         "credentialsSecret": "s3-creds"}}}},
            {"name": "o-oci", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "protocol": "grpc", "cache": {"profiles": ["a", "b"], "source": {"oci": {
                 "ref": "registry.example.com/weights/llama@sha256:" + "0" * 64,
                 "image": "oras:1", "pullSecret": "oci-pull"}}}},
        ]}],
    },
    # NGC downloads: preload with and without profiles, and NIMCaches, with own keys.
    "preload": {
        "platform": {"backend": "nim-operator"},
        "secrets": {"provider": "external-secrets",
                    "externalSecrets": {"storeRef": {"name": "keys"}}},
        "projects": [{"name": "p1", "deployments": [
            {"name": "k-any", "backend": "kserve", "model": "llama-3.1-8b-instruct",
             "gpus": 2, "cache": {"preload": True}},
            {"name": "k-one", "backend": "kserve", "model": "llama-3.1-8b-instruct",
             "cache": {"preload": True, "profiles": ["p-1"]}},
            {"name": "k-two", "backend": "kserve", "model": "llama-3.1-8b-instruct",
             "cache": {"preload": True, "profiles": ["p-1", "p-2"]}},
            {"name": "o-plain", "model": "mistral-7b-instruct-v0.3",
             "hardwareProfile": {"name": "gpu", "namespace": "profiles"}},
            {"name": "o-two", "model": "llama-3.1-8b-instruct", "replicas": 2,
             "cache": {"preload": True, "profiles": ["p-1", "p-2"]}},
            # a profile without a namespace: both default it to the platform namespace
            {"name": "o-global", "model": "mistral-7b-instruct-v0.3",
             "hardwareProfile": {"name": "gpu"}},
            {"name": "k-global", "backend": "kserve", "model": "mistral-7b-instruct-v0.3",
             "hardwareProfile": {"name": "gpu"}},
        ]}],
    },
    # The same with the project's shared key pair.
    "preload-project-keys": {
        "secrets": {"provider": "vault", "scope": "project"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "k", "model": "llama-3.1-8b-instruct", "cache": {"preload": True}},
            {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "cache": {"profiles": ["p-1"]}},
        ]}],
    },
    # Serving options (issue #28): defaults from platform.serving, token auth true and listed,
    # env of every source, args, replica bounds, existing claims shared on sub-paths, both
    # backends.
    "serving-options": {
        "platform": {"serving": {"externalRoute": True, "tokenAuth": True}},
        "secrets": {"provider": "vault", "scope": "deployment"},
        "projects": [{"name": "p1", "deployments": [
            {"name": "k", "model": "llama-3.1-8b-instruct", "minReplicas": 2, "maxReplicas": 4,
             "env": [{"name": "A", "value": "1"},
                     {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k",
                                                                  "optional": True}}},
                     {"name": "NIM_LOG_LEVEL", "valueFrom": {"configMapKeyRef": {
                         "name": "c", "key": "level"}}}],
             "overrideEnv": ["NIM_LOG_LEVEL"], "args": ["--a", "b c"]},
            {"name": "o", "backend": "nim-operator", "model": "llama-3.1-8b-instruct",
             "externalRoute": False, "tokenAuth": {"serviceAccounts": ["x", "y"]},
             "minReplicas": 1, "maxReplicas": 2, "env": [{"name": "A", "value": ""}],
             "args": ["--z"]},
            {"name": "shared-a", "model": "mistral-7b-instruct-v0.3", "tokenAuth": False,
             "storage": {"existingClaim": "cache", "subPath": "a/b"}},
            {"name": "shared-b", "backend": "nim-operator", "model": "mistral-7b-instruct-v0.3",
             "replicas": 3, "storage": {"existingClaim": "cache"}},
            {"name": "shared-c", "backend": "nim-operator", "model": "mistral-7b-instruct-v0.3",
             "storage": {"existingClaim": "cache", "subPath": "c"}},
        ]}],
    },
}
TARGETS = ("current", "redesign")


def _write(tmp_path: Path, spec: dict[str, Any]) -> Path:
    config = copy.deepcopy(BASE)
    config["spec"] = spec
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


def _parity(chart: Path, config: Path, tmp_path: Path, catalog: Path | None = None,
            target: str | None = None) -> int:
    values = write_values(config, tmp_path / "values.yaml", catalog, target)
    return assert_same_objects(render_build(config, tmp_path / "render", catalog, target),
                               helm_template(chart, values))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=[p.parent.name for p in EXAMPLE_CONFIGS])
def test_example_parity(chart_dir: Path, config: Path, target: str, tmp_path: Path) -> None:
    assert _parity(chart_dir, config, tmp_path, target=target) > 5


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_parity(chart_dir: Path, name: str, target: str, tmp_path: Path) -> None:
    assert _parity(chart_dir, _write(tmp_path, VARIANTS[name]), tmp_path, target=target) > 0


@pytest.mark.parametrize("target", [None, *TARGETS])
def test_target_from_the_values(chart_dir: Path, target: str | None, tmp_path: Path) -> None:
    """Without --target both sides read spec.platform.target, and both default to current."""
    spec = copy.deepcopy(VARIANTS["project-eso"])
    if target:
        spec["platform"]["target"] = target
    assert _parity(chart_dir, _write(tmp_path, spec), tmp_path) > 0
    kinds = {obj["kind"] for obj in yaml.safe_load_all(
        helm_template(chart_dir, tmp_path / "values.yaml")) if obj}
    assert ("Account" in kinds) == (target != "redesign")
    assert ("Template" in kinds) == (target == "redesign")


def test_parity_detects_a_difference(chart_dir: Path, tmp_path: Path) -> None:
    """The comparison can fail: values that differ from the config give other objects."""
    config = EXAMPLES / "quickstart/nim-gitops.yaml"
    values = write_values(config, tmp_path / "values.yaml")
    values.write_text(values.read_text("utf-8").replace("gpus: 1", "gpus: 2"), "utf-8")
    with pytest.raises(AssertionError, match="differs"):
        assert_same_objects(render_build(config, tmp_path / "render"),
                            helm_template(chart_dir, values))


@pytest.mark.slow
def test_real_snapshot_catalog_parity(tmp_path: Path) -> None:
    """A chart embedding the 186-model snapshot matches `render --catalog` on it."""
    from tests.helpers import run_cli

    chart = tmp_path / "chart"
    assert run_cli(["chart", "--catalog", str(SNAPSHOT), "-o", str(chart)]).code == 0
    config = _write(tmp_path, {"projects": [{"name": "p", "deployments": [
        {"name": "a", "model": "llama-3.1-8b-instruct"}]}]})
    # redesign: the whole catalog goes into nim-models-data.
    assert _parity(chart, config, tmp_path, SNAPSHOT, "redesign") > 1
    airgap = _write(tmp_path, {"airGap": {"mirror": "r.example"}, "projects": [
        {"name": "p", "deployments": [{"name": "a", "model": "llama-3.1-8b-instruct"}]}]})
    for target in TARGETS:
        assert _parity(chart, airgap, tmp_path, SNAPSHOT, target) > 0


@pytest.mark.parametrize(("target", "expected"), [
    ("current", {"OdhDashboardConfig", "DataScienceCluster"}),
    ("redesign", {"OdhDashboardConfig"}),
])
def test_uninstall_keeps_the_dashboard_config_and_the_datasciencecluster(
        chart_dir: Path, tmp_path: Path, target: str, expected: set[str]) -> None:
    """`helm uninstall` must not delete objects the platform's operator owns."""
    values = tmp_path / "values.yaml"
    spec = copy.deepcopy(VARIANTS["datasciencecluster-name"])
    spec["platform"]["target"] = target
    values.write_text(yamlio.dump(spec), "utf-8")
    kept = {obj["kind"] for obj in yaml.safe_load_all(helm_template(chart_dir, values))
            if obj and obj["metadata"].get("annotations", {}).get(
                "helm.sh/resource-policy") == "keep"}
    assert kept == expected


def test_account_key_braces_unescape_like_every_key_location(tmp_path: Path,
                                                              chart_dir: Path) -> None:
    """`{{`/`}}` stand for literal braces in every key location, the Account's included."""
    config = copy.deepcopy(BASE)
    config["spec"] = {"secrets": {"provider": "external-secrets", "externalSecrets": {
        "storeRef": {"name": "keys"}, "accountRemoteRef": {"key": "kv/{{admin}}"}}}}
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    rendered = render_build(path, tmp_path / "out")
    [secret] = [o for o in yamlio.load_all(rendered, "render")
                if o["metadata"]["name"] == "nvidia-nim-access"]
    assert secret["spec"]["data"][0]["remoteRef"]["key"] == "kv/{admin}"
    charted = helm_template(chart_dir, write_values(path, tmp_path / "values.yaml"))
    assert_same_objects(rendered, charted)
