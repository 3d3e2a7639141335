"""What the rendered objects contain: the contract of the redesign and the dashboard's forms."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.catalog import ModelEntry, configmap_yaml
from tests.helpers import run_cli

Objects = dict[tuple[str, str], dict[str, Any]]


def render(write_config: Callable[..., Path], config: dict[str, Any] | str,
           target: str | None = None) -> Objects:
    extra = ["--target", target] if target else []
    result = run_cli(["render", str(write_config(config)), "-o", "-", *extra])
    assert result.code == 0, result.err
    return {(o["kind"], o["metadata"]["name"]): o for o in yamlio.load_all(result.out, "out")}


def _container(runtime: dict[str, Any]) -> dict[str, Any]:
    containers = runtime["spec"]["containers"]
    assert [c["name"] for c in containers] == ["kserve-container"]
    container: dict[str, Any] = containers[0]
    return container


def test_template_has_no_secrets_and_the_production_volumes(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    objs = render(write_config, base_config, "redesign")
    template = objs[("Template", "nim-http-template")]
    assert template["metadata"]["namespace"] == "redhat-ods-applications"
    # no opendatahub.io/dashboard or ootb: today's dashboard would offer it as a generic runtime
    assert "labels" not in template["metadata"]
    assert template["metadata"]["annotations"]["opendatahub.io/apiProtocol"] == "REST"
    runtime = template["objects"][0]
    assert runtime["metadata"]["name"] == "nim-http-runtime"
    assert runtime["metadata"]["annotations"]["runtimes.opendatahub.io/nvidia-nim"] == "true"
    spec = runtime["spec"]
    assert spec["annotations"] == {"prometheus.io/path": "/v1/metrics",
                                   "prometheus.io/port": "8000"}
    assert spec["supportedModelFormats"] == [{"name": "replace-me"}]
    assert "imagePullSecrets" not in spec
    container = _container(runtime)
    assert container["image"] == ""
    assert [e["name"] for e in container["env"]] == ["NIM_CACHE_PATH"]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "8Gi",
                                                "nvidia.com/gpu": "2"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["nim-pvc"] == "/mnt/models/cache"
    assert mounts["shm"] == "/dev/shm"
    for path in ("/opt/nim/workspace", "/.cache", "/opt/nim/nginx", "/opt/nim/generated_configs",
                 "/opt/nim/.cache", "/opt/nim/.config", "/opt/nim/.triton"):
        assert path in mounts.values()
    assert "NGC_API_KEY" not in json.dumps(template)


def test_grpc_template_is_the_same_runtime_on_h2c(write_config: Callable[..., Path],
                                                   base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"templates": ["http", "grpc"]}
    objs = render(write_config, base_config, "redesign")
    grpc = objs[("Template", "nim-grpc-template")]
    assert grpc["metadata"]["annotations"]["opendatahub.io/apiProtocol"] == "gRPC"
    assert _container(grpc["objects"][0])["ports"] == [
        {"containerPort": 8001, "name": "h2c", "protocol": "TCP"}]


def test_deployment_runtime_references_only_its_own_secrets(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["projects"][0]["deployments"].append(
        {"name": "mistral", "model": "mistral-7b-instruct-v0.3"})
    objs = render(write_config, base_config)
    for name in ("llama-8b", "mistral"):
        runtime = objs[("ServingRuntime", name)]
        assert runtime["spec"]["imagePullSecrets"] == [{"name": f"nim-image-pull-{name}"}]
        key_env = [e for e in _container(runtime)["env"] if e["name"] == "NGC_API_KEY"]
        assert key_env == [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
            "name": f"nim-api-key-{name}", "key": "NGC_API_KEY"}}}]
        assert "replicas" not in runtime["spec"]
        assert "resources" not in _container(runtime)
    mistral = objs[("ServingRuntime", "mistral")]
    assert _container(mistral)["image"] == "nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3:1.12.0"
    assert mistral["spec"]["supportedModelFormats"] == [
        {"name": "mistral-7b-instruct-v0.3", "version": "1.12.0", "autoSelect": False,
         "priority": 1}]


def test_inference_service_matches_its_runtime(write_config: Callable[..., Path],
                                               base_config: dict[str, Any]) -> None:
    dep = base_config["spec"]["projects"][0]["deployments"][0]
    dep.update(replicas=2, gpus=4, displayName="Llama 8B",
               hardwareProfile={"name": "nvidia-gpu", "namespace": "redhat-ods-applications"})
    objs = render(write_config, base_config)
    isvc = objs[("InferenceService", "llama-8b")]
    runtime = objs[("ServingRuntime", "llama-8b")]
    model = isvc["spec"]["predictor"]["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    assert model["modelFormat"]["name"] == runtime["spec"]["supportedModelFormats"][0]["name"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert isvc["spec"]["predictor"]["minReplicas"] == isvc["spec"]["predictor"]["maxReplicas"] == 2
    annotations = isvc["metadata"]["annotations"]
    assert annotations["openshift.io/display-name"] == "Llama 8B"
    assert annotations["opendatahub.io/hardware-profile-name"] == "nvidia-gpu"
    assert isvc["metadata"]["labels"] == {"opendatahub.io/dashboard": "true"}
    assert "NGC_API_KEY" not in json.dumps(isvc)
    assert "imagePullSecrets" not in json.dumps(isvc)


def test_pvc_escapes_the_dashboards_auto_delete(write_config: Callable[..., Path],
                                                base_config: dict[str, Any]) -> None:
    objs = render(write_config, base_config)
    pvcs = [o for (kind, _), o in objs.items() if kind == "PersistentVolumeClaim"]
    assert len(pvcs) == 1
    pvc = pvcs[0]
    assert not re.fullmatch(r"nim-pvc-.+", pvc["metadata"]["name"])
    assert pvc["metadata"].get("labels", {}).get("opendatahub.io/managed") != "true"
    assert pvc["spec"]["resources"]["requests"]["storage"] == "50Gi"
    volumes = objs[("ServingRuntime", "llama-8b")]["spec"]["volumes"]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in volumes
              if "persistentVolumeClaim" in v]
    assert claims == [pvc["metadata"]["name"]]


def test_namespace_is_a_nim_project(write_config: Callable[..., Path],
                                    base_config: dict[str, Any]) -> None:
    ns = render(write_config, base_config)[("Namespace", "team-a")]
    assert ns["metadata"]["labels"] == {"opendatahub.io/dashboard": "true",
                                        "modelmesh-enabled": "false"}
    assert ns["metadata"]["annotations"] == {"opendatahub.io/nim-support": "true"}
    base_config["spec"]["projects"][0]["namespace"] = {"manage": False}
    assert ("Namespace", "team-a") not in render(write_config, base_config)


def test_provider_none_renders_no_secret_references(write_config: Callable[..., Path],
                                                    base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"] = {"provider": "none"}
    objs = render(write_config, base_config)
    text = json.dumps(list(objs.values()))
    assert "nim-api-key" not in text and "nim-image-pull" not in text
    assert not [k for k in objs if k[0] in ("ExternalSecret", "VaultStaticSecret", "Secret")]


def test_display_names_that_look_like_other_types_stay_strings(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    for name in ("yes", "1e3", "a: b", "#x", "null", "0755", "Ünïcødé — ok"):
        base_config["spec"]["projects"][0]["deployments"][0]["displayName"] = name
        isvc = render(write_config, base_config)[("InferenceService", "llama-8b")]
        assert isvc["metadata"]["annotations"]["openshift.io/display-name"] == name


def test_default_tag_is_the_newest_pinned_version(write_config: Callable[..., Path],
                                                  base_config: dict[str, Any]) -> None:
    base_config["spec"]["projects"][0]["deployments"][0].pop("tag")
    runtime = render(write_config, base_config)[("ServingRuntime", "llama-8b")]
    assert _container(runtime)["image"].endswith(":1.15.5")


def test_floating_tags_only_when_allowed(write_config: Callable[..., Path],
                                         base_config: dict[str, Any]) -> None:
    base_config["spec"]["projects"][0]["deployments"][0].update(tag="latest",
                                                                allowFloatingTags=True)
    runtime = render(write_config, base_config)[("ServingRuntime", "llama-8b")]
    assert _container(runtime)["image"].endswith(":latest")


def test_catalog_allow_list_custom_name_and_dashboard_wiring(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"namespace": "opendatahub", "catalog": {
        "configMapName": "custom-nim-models", "models": ["llama-3.1-8b-instruct"]}}
    objs = render(write_config, base_config, "redesign")
    cm = objs[("ConfigMap", "custom-nim-models")]
    assert list(cm["data"]) == ["llama-3.1-8b-instruct"]
    assert cm["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    nim_config = objs[("OdhDashboardConfig", "odh-dashboard-config")]["spec"]["nimConfig"]
    assert nim_config == {"customConfigMap": {"name": "custom-nim-models",
                                              "namespace": "opendatahub"},
                          "disconnected": {"disableKeyCollection": False}}


def test_emit_false_and_unmanaged_dashboard(write_config: Callable[..., Path],
                                            base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"catalog": {"emit": False}, "dashboard": {"manage": False}}
    kinds = {k for k, _ in render(write_config, base_config, "redesign")}
    assert "ConfigMap" not in kinds and "OdhDashboardConfig" not in kinds
    assert "ServingRuntime" in kinds


def test_large_configmap_gets_server_side_apply(write_config: Callable[..., Path],
                                                base_config: dict[str, Any],
                                                tmp_path: Path) -> None:
    entries = [ModelEntry(f"model-{i:03d}", f"Model {i}", "x" * 2000, "nim/test",
                          ("1.0.0", "latest"), "1.0.0", "2026-01-01T00:00:00.000Z")
               for i in range(150)]
    entries.append(ModelEntry("llama-3.1-8b-instruct", "Llama", "d", "nim/meta", ("1.15.5",),
                              "1.15.5", "2026-01-01T00:00:00.000Z"))
    (tmp_path / "big.yaml").write_text(configmap_yaml(entries))
    base_config["spec"]["platform"] = {"catalog": {"file": "big.yaml"}}
    cm = render(write_config, base_config, "redesign")[("ConfigMap", "nim-models-data")]
    assert cm["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-options": "ServerSideApply=true"}


def test_configmap_values_are_the_catalog_json(write_config: Callable[..., Path],
                                               base_config: dict[str, Any]) -> None:
    cm = render(write_config, base_config, "redesign")[("ConfigMap", "nim-models-data")]
    assert list(cm["data"]) == sorted(cm["data"])
    for key, value in cm["data"].items():
        doc = json.loads(value)
        assert list(doc) == ["name", "displayName", "shortDescription", "namespace", "tags",
                             "latestTag", "updatedDate", "euRestricted"]
        assert doc["name"] == key
        assert value == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_a_hardware_profile_without_namespace_gets_the_dashboards(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    """The dashboard looks a profile up in its own namespace when the annotation names none,
    and its edit drops the profile name without the namespace annotation (issue #24): the
    render writes the platform namespace, where the global profiles live."""
    base_config["spec"]["platform"] = {"namespace": "opendatahub"}
    base_config["spec"]["projects"][0]["deployments"][0]["hardwareProfile"] = {"name": "gpu"}
    objs = render(write_config, base_config)
    annotations = objs[("InferenceService", "llama-8b")]["metadata"]["annotations"]
    assert annotations["opendatahub.io/hardware-profile-name"] == "gpu"
    assert annotations["opendatahub.io/hardware-profile-namespace"] == "opendatahub"
