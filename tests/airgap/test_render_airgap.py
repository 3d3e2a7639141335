"""`render` with `spec.airGap`: mirror sets, the custom ConfigMap, the dashboard config, and
deployments without any secret reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.models import PLACEHOLDER_KEY
from tests.helpers import kustomize_build, run_cli


def _render(path: Path) -> tuple[list[dict[str, Any]], str]:
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render"), result.err


def _kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_image_tag_mirror_set_redirects_nvcr_nim(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    objects, _ = _render(write_config(airgap_config))
    (itms,) = _kind(objects, "ImageTagMirrorSet")
    assert itms["apiVersion"] == "config.openshift.io/v1"
    (rule,) = itms["spec"]["imageTagMirrors"]
    assert rule["source"] == "nvcr.io/nim"
    assert rule["mirrors"] == ["mirror.corp.example:5000/nvcr/nim"]
    assert not _kind(objects, "ImageDigestMirrorSet")
    # every image the runtimes pull is covered by the mirror's source
    for sr in _kind(objects, "ServingRuntime"):
        assert sr["spec"]["containers"][0]["image"].startswith(rule["source"] + "/")


def _mirrored_model_list(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The model-list ConfigMap of the applications namespace (on current each project with an
    Account has a copy), checked to hold only the mirrored models and tags."""
    maps = _kind(objects, "ConfigMap")
    (cm,) = [m for m in maps if m["metadata"].get("namespace") in (None, "redhat-ods-applications")]
    assert all(m["data"] == cm["data"] for m in maps)
    entries = {k: json.loads(v) for k, v in cm["data"].items()}
    assert sorted(entries) == ["llama-3.1-8b-instruct", "mistral-7b-instruct-v0.3"]
    assert sorted(entries["llama-3.1-8b-instruct"]["tags"]) == ["1.15.4", "1.15.5"]
    assert entries["llama-3.1-8b-instruct"]["latestTag"] == "1.15.5"
    assert entries["mistral-7b-instruct-v0.3"]["tags"] == ["1.12.0"]
    images = {f"nvcr.io/{e['namespace']}/{name}:{t}"
              for name, e in entries.items() for t in e["tags"]}
    runs = {sr["spec"]["containers"][0]["image"] for sr in _kind(objects, "ServingRuntime")}
    assert images == runs
    return cm


def test_redesign_custom_configmap_holds_only_the_mirrored_models_and_tags(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    airgap_config["spec"]["platform"] = {"target": "redesign"}
    objects, _ = _render(write_config(airgap_config))
    cm = _mirrored_model_list(objects)
    assert cm["metadata"]["name"] != "nim-models-data"
    (odc,) = _kind(objects, "OdhDashboardConfig")
    nim = odc["spec"]["nimConfig"]
    assert nim["customConfigMap"] == {"name": cm["metadata"]["name"],
                                      "namespace": cm["metadata"]["namespace"]}
    assert nim["disconnected"] == {"disableKeyCollection": True}
    assert not _kind(objects, "DataScienceCluster") and not _kind(objects, "Account")


def test_current_model_list_is_the_one_the_controller_points_at(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    """Air-gapped, odh-model-controller points Account.status.nimConfig at
    <account>-cm in the applications namespace and writes nothing there itself."""
    objects, _ = _render(write_config(airgap_config))
    cm = _mirrored_model_list(objects)
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == (
        "odh-nim-account-cm", "redhat-ods-applications")
    (account,) = [a for a in _kind(objects, "Account")
                  if a["metadata"]["namespace"] == "redhat-ods-applications"]
    assert account["metadata"]["name"] + "-cm" == cm["metadata"]["name"]
    assert account["metadata"]["namespace"] == cm["metadata"]["namespace"]
    (dsc,) = _kind(objects, "DataScienceCluster")
    assert dsc["metadata"]["name"] == "default-dsc"
    assert dsc["spec"] == {"components": {"kserve": {"nim": {"airGapped": True}}}}
    assert "ServerSideApply=true" in dsc["metadata"]["annotations"][
        "argocd.argoproj.io/sync-options"]
    (odc,) = _kind(objects, "OdhDashboardConfig")
    assert "nimConfig" not in odc["spec"]


def test_no_secret_references_and_provider_forced_with_a_warning(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    airgap_config["spec"]["secrets"] = {
        "provider": "external-secrets",
        "externalSecrets": {"storeRef": {"name": "vault"}},
    }
    objects, err = _render(write_config(airgap_config))
    assert "warning:" in err and "secrets.provider" in err and "external-secrets" in err
    assert not _kind(objects, "ExternalSecret")
    # the only core Secrets are the Accounts' placeholders (tests/render/test_airgap_accounts.py)
    assert {v for s in _kind(objects, "Secret") for v in s["stringData"].values()} == {
        PLACEHOLDER_KEY}
    runtimes = _kind(objects, "ServingRuntime")
    assert len(runtimes) == 4
    for sr in runtimes:
        assert "imagePullSecrets" not in sr["spec"]
        for container in sr["spec"]["containers"]:
            assert "NGC_API_KEY" not in {e["name"] for e in container.get("env", [])}
            assert "secretKeyRef" not in json.dumps(container)
    for isvc in _kind(objects, "InferenceService"):
        assert "secret" not in json.dumps(isvc).lower()


def test_provider_none_gives_no_warning(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    airgap_config["spec"]["secrets"] = {"provider": "none"}
    for project in airgap_config["spec"]["projects"]:  # mirrored weights: no cache warning
        for deployment in project["deployments"]:
            deployment["cache"] = {"source": {"pvc": "mirrored-weights"}}
    _, err = _render(write_config(airgap_config))
    assert "warning" not in err


def test_tree_builds_with_kustomize(airgap_config: dict[str, Any],
                                    write_config: Callable[[Any], Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["render", str(write_config(airgap_config)), "-o", str(out)])
    assert result.code == 0, result.err
    kinds = {d["kind"] for d in yamlio.load_all(kustomize_build(out), "kustomize")}
    assert {"ImageTagMirrorSet", "ConfigMap", "OdhDashboardConfig", "ServingRuntime",
            "DataScienceCluster", "Account"} <= kinds
