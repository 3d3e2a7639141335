"""Backend nim-operator and cache fills: the objects a user relies on, checked strictly
against the NIM Operator and KServe CRDs (the real kubeconform where installed, and always the
project's own validator)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli
from tests.kubeconform_support import StrictChecker, failures, rendered_valid

EXAMPLE = EXAMPLES / "nim-operator" / "nim-gitops.yaml"
PROFILE = "8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d"
WriteConfig = Callable[..., Path]


def statuses(strict_checker: StrictChecker, tmp_path: Path, stream: str,
             target: str = "current") -> dict[tuple[str, str], str]:
    """(kind, name) -> the strict verdict (core and CRD schemas, offline)."""
    path = tmp_path / f"stream-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(stream, "utf-8")
    return {(v.kind, v.name): v.status for v in strict_checker.check([path], target)}


def render(config: Path, *extra: str) -> list[dict[str, Any]]:
    result = run_cli(["render", str(config), "-o", "-", *extra])
    assert result.code == 0, result.err
    return list(yamlio.load_all(result.out, "render output"))


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _deployment(config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["spec"]["projects"][0]["deployments"][0].update(fields)
    return config


def _airgapped(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["spec"]["airGap"] = {"mirror": "registry.example.com/nvcr"}
    config["spec"]["secrets"] = {"provider": "none"}
    return config


S3 = {"s3": {"url": "s3://weights/nim/llama-8b", "endpoint": "https://minio.example.com",
             "credentialsSecret": "weights-s3", "image": "registry.example.com/tools/aws:2.17"}}
OCI = {"oci": {"ref": "registry.example.com/weights/llama-8b:1.15.5",
               "image": "registry.example.com/tools/oras:1.2.0", "pullSecret": "weights-pull"}}


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_example_passes_strict_schemas(strict_checker: StrictChecker, tmp_path: Path,
                                         target: str) -> None:
    checked = rendered_valid(strict_checker, EXAMPLE, target, tmp_path)
    assert {("NIMCache", "llama-8b"), ("NIMService", "llama-8b"), ("NIMCache", "mistral-7b"),
            ("NIMService", "mistral-7b"), ("ServingRuntime", "llama-kserve"),
            ("InferenceService", "llama-kserve"), ("PersistentVolumeClaim", "llama-8b-cache"),
            ("Job", next(name for kind, name in checked if kind == "Job"))} <= checked


def test_strict_check_can_fail(strict_checker: StrictChecker, tmp_path: Path) -> None:
    """The check is real: a NIMService field the CRD does not have, a Job field Kubernetes
    does not have."""
    objects = render(EXAMPLE)
    service = by_kind(objects, "NIMService")["llama-8b"]
    service["spec"]["storage"]["nimCache"]["profiles"] = [PROFILE]
    job = next(iter(by_kind(objects, "Job").values()))
    job["spec"]["template"]["spec"]["containers"][0]["commands"] = ["sh"]
    found = statuses(strict_checker, tmp_path, yamlio.dump_all([service, job]))
    assert found[("NIMService", "llama-8b")] == "statusInvalid"
    assert found[("Job", job["metadata"]["name"])] == "statusInvalid"


def test_nim_operator_replaces_the_kserve_objects() -> None:
    objects = render(EXAMPLE)
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects
             if o["metadata"].get("namespace") == "team-ops"}
    assert ("NIMService", "llama-8b") in kinds and ("NIMCache", "llama-8b") in kinds
    assert ("ServingRuntime", "llama-8b") not in kinds
    assert ("InferenceService", "llama-8b") not in kinds
    # both backends in one render: the kserve deployment keeps its runtime and service
    assert {("ServingRuntime", "llama-kserve"), ("InferenceService", "llama-kserve")} <= kinds
    assert ("NIMService", "llama-kserve") not in kinds


def test_nimservice_matches_the_dashboard_and_shares_the_cache_secrets() -> None:
    objects = render(EXAMPLE)
    service = by_kind(objects, "NIMService")["llama-8b"]
    cache = by_kind(objects, "NIMCache")["llama-8b"]
    assert service["metadata"]["labels"]["opendatahub.io/dashboard"] == "true"
    assert service["metadata"]["annotations"]["openshift.io/display-name"] == \
        "Llama 3.1 8B Instruct"
    spec = service["spec"]
    assert spec["inferencePlatform"] == "kserve"
    assert spec["image"] == {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct",
                             "tag": "1.15.5", "pullPolicy": "IfNotPresent",
                             "pullSecrets": ["odh-nim-account-pull"]}
    ngc = cache["spec"]["source"]["ngc"]
    # the project Account's Secrets, as the dashboard's NIMService path sets them
    # (authSecret = Account spec.apiKeySecret, pullSecrets = [status.nimPullSecret])
    assert spec["authSecret"] == ngc["authSecret"] == "nvidia-nim-secrets"
    assert ngc["pullSecret"] in spec["image"]["pullSecrets"]
    assert ngc["modelPuller"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    assert ngc["model"]["profiles"] == [PROFILE]
    assert spec["storage"]["nimCache"] == {"name": "llama-8b", "profile": PROFILE}
    assert spec["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert service["metadata"]["annotations"]["opendatahub.io/hardware-profile-name"] == \
        "nvidia-l40s"
    # the project key the cache and the service read is rendered, and the Account whose
    # controller writes the pull Secret
    assert "nvidia-nim-secrets" in by_kind(objects, "VaultStaticSecret")
    assert by_kind(objects, "Account")["odh-nim-account"]["metadata"]["namespace"] == \
        service["metadata"]["namespace"]


def test_the_cache_pvc_is_the_same_object_on_both_backends(
        base_config: dict[str, Any], write_config: WriteConfig) -> None:
    """Moving a deployment between backends keeps its PVC: same name, same spec."""
    kserve = by_kind(render(write_config(base_config, "k.yaml")), "PersistentVolumeClaim")
    operator = by_kind(render(write_config(_deployment(base_config, backend="nim-operator"),
                                           "o.yaml")), "PersistentVolumeClaim")
    assert kserve == operator
    assert list(operator) == ["llama-8b-cache"]
    cache = by_kind(render(write_config(_deployment(base_config, backend="nim-operator"),
                                        "o2.yaml")), "NIMCache")["llama-8b"]
    assert cache["spec"]["storage"]["pvc"] == {"create": False, "name": "llama-8b-cache"}


def test_kserve_preload_job_runs_download_to_cache_before_the_nim(
        base_config: dict[str, Any], write_config: WriteConfig) -> None:
    config = _deployment(base_config, cache={"preload": True, "profiles": [PROFILE]})
    objects = render(write_config(config))
    jobs = by_kind(objects, "Job")
    assert len(jobs) == 1
    job = next(iter(jobs.values()))
    assert job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "0"
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    assert f"download-to-cache --profiles {PROFILE}" in container["command"][2]
    key = next(e for e in container["env"] if e["name"] == "NGC_API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == "nim-api-key-llama-8b"
    # download mode writes to NGC_HOME, as the NIM Operator's caching Job sets it
    assert {"name": "NGC_HOME", "value": "/mnt/models/cache"} in container["env"]
    assert pod["imagePullSecrets"] == [{"name": "nim-image-pull-llama-8b"}]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "llama-8b-cache"
    # a named profile needs no GPU to download
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    # the predictor waits for the marker the Job leaves; the runtime serves that profile
    isvc = by_kind(objects, "InferenceService")["llama-8b"]
    wait = isvc["spec"]["predictor"]["initContainers"][0]
    marker = container["command"][2].rsplit("touch ", 1)[1]
    assert marker in wait["command"][2]
    assert isvc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"
    runtime = by_kind(objects, "ServingRuntime")["llama-8b"]
    env = runtime["spec"]["containers"][0]["env"]
    assert {"name": "NIM_MODEL_PROFILE", "value": PROFILE} in env


def test_preload_without_profiles_asks_for_the_deployments_gpus(
        base_config: dict[str, Any], write_config: WriteConfig) -> None:
    config = _deployment(base_config, gpus=2, cache={"preload": True})
    job = next(iter(by_kind(render(write_config(config)), "Job").values()))
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][2].startswith("set -e; download-to-cache; ")
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"


def test_a_new_tag_gets_a_new_job(base_config: dict[str, Any],
                                  write_config: WriteConfig) -> None:
    """Job templates are immutable: what the Job fetches is part of its name."""
    first = _deployment(base_config, cache={"preload": True})
    second = _deployment(first, tag="1.15.4")
    one = set(by_kind(render(write_config(first, "a.yaml")), "Job"))
    two = set(by_kind(render(write_config(second, "b.yaml")), "Job"))
    assert len(one) == len(two) == 1 and one != two
    assert all(len(name) <= 63 for name in one | two)


def test_no_cache_settings_render_no_job(base_config: dict[str, Any],
                                         write_config: WriteConfig) -> None:
    objects = render(write_config(base_config))
    assert not by_kind(objects, "Job")
    assert "initContainers" not in by_kind(objects, "InferenceService")["llama-8b"]["spec"][
        "predictor"]


@pytest.mark.parametrize("backend", ["kserve", "nim-operator"])
def test_airgapped_pvc_source_is_cloned(base_config: dict[str, Any], write_config: WriteConfig,
                                        backend: str) -> None:
    config = _deployment(_airgapped(base_config), backend=backend,
                         cache={"source": {"pvc": "llama-8b-weights"}})
    objects = render(write_config(config))
    pvc = by_kind(objects, "PersistentVolumeClaim")["llama-8b-cache"]
    assert pvc["spec"]["dataSource"] == {"kind": "PersistentVolumeClaim",
                                         "name": "llama-8b-weights"}
    assert not by_kind(objects, "Job") and not by_kind(objects, "NIMCache")
    if backend == "nim-operator":
        spec = by_kind(objects, "NIMService")["llama-8b"]["spec"]
        assert spec["storage"] == {"pvc": {"create": False, "name": "llama-8b-cache"}}
        # NIM Operator v3.1.2 requires authSecret: the air-gapped project's Secret holding no
        # key (tests/chart/test_nim_operator_versions.py has main, where there is none)
        assert spec["authSecret"] == "nvidia-nim-secrets" and "pullSecrets" not in spec["image"]


@pytest.mark.parametrize(("source", "tool_image", "secret"), [
    (S3, "registry.example.com/tools/aws:2.17", "weights-s3"),
    (OCI, "registry.example.com/tools/oras:1.2.0", "weights-pull"),
])
@pytest.mark.parametrize("backend", ["kserve", "nim-operator"])
def test_airgapped_s3_and_oci_sources_fill_without_ngc(
        base_config: dict[str, Any], write_config: WriteConfig, strict_checker: StrictChecker,
        tmp_path: Path, source: dict[str, Any], tool_image: str, secret: str,
        backend: str) -> None:
    config = _deployment(_airgapped(base_config), backend=backend, cache={"source": source})
    path = write_config(config)
    objects = render(path)
    job = next(iter(by_kind(objects, "Job").values()))
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == tool_image
    assert not [e for e in container["env"] if e["name"] == "NGC_API_KEY"]
    assert secret in json.dumps(pod)
    assert "download-to-cache" not in container["command"][2]
    assert not by_kind(objects, "NIMCache")
    result = run_cli(["render", str(path), "-o", "-"])
    stream = tmp_path / "stream.yaml"
    stream.write_text(result.out, "utf-8")
    verdicts = strict_checker.check([stream])
    assert failures(verdicts) == []
    assert ("Job", job["metadata"]["name"], "statusValid") in {
        (v.kind, v.name, v.status) for v in verdicts}


@pytest.mark.parametrize(("fields", "field", "air"), [
    ({"backend": "nim-operator"}, "cache", True),
    ({"cache": {"preload": True}}, "cache", True),
])
def test_airgapped_download_from_ngc_is_refused(
        base_config: dict[str, Any], write_config: WriteConfig, tmp_path: Path,
        fields: dict[str, Any], field: str, air: bool) -> None:
    config = _deployment(_airgapped(base_config) if air else base_config, **fields)
    path = write_config(config)
    out = tmp_path / "out"
    result = run_cli(["render", str(path), "-o", str(out)])
    assert result.code == 1
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"error: {path}:")
    assert f"spec.projects[0].deployments[0].{field}" in line
    assert not out.exists()


def test_nim_operator_cannot_pin_digests(base_config: dict[str, Any],
                                         write_config: WriteConfig) -> None:
    config = _deployment(_airgapped(base_config), backend="nim-operator",
                         cache={"source": {"pvc": "weights"}})
    config["spec"]["airGap"]["pinDigests"] = True
    result = run_cli(["render", str(write_config(config)), "-o", "-"])
    assert result.code == 1
    assert "spec.projects[0].deployments[0].backend" in result.err
    assert result.out == ""


def test_platform_backend_is_the_default(base_config: dict[str, Any],
                                         write_config: WriteConfig) -> None:
    config = copy.deepcopy(base_config)
    config["spec"]["platform"] = {"backend": "nim-operator"}
    config["spec"]["projects"][0]["deployments"].append(
        {"name": "other", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
         "backend": "kserve"})
    objects = render(write_config(config))
    assert set(by_kind(objects, "NIMService")) == {"llama-8b"}
    assert set(by_kind(objects, "InferenceService")) == {"other"}


def test_render_is_deterministic() -> None:
    first = run_cli(["render", str(EXAMPLE), "-o", "-"])
    second = run_cli(["render", str(EXAMPLE), "-o", "-"])
    assert first.code == 0 and first.out == second.out


@pytest.mark.parametrize(("fields", "field"), [
    ({"cache": {"source": {"pvc": "a", "oci": OCI["oci"]}}}, "cache.source"),
    ({"cache": {"source": {"s3": {"url": "s3://weights/x", "credentialsSecret": "c"}}}},
     "cache.source.s3"),
    ({"backend": "triton"}, "backend"),
    ({"cache": {"profiles": ["bad profile; rm -rf /"]}}, "cache.profiles[0]"),
])
def test_bad_cache_and_backend_settings_are_one_line_errors(
        base_config: dict[str, Any], write_config: WriteConfig, tmp_path: Path,
        fields: dict[str, Any], field: str) -> None:
    path = write_config(_deployment(base_config, **fields))
    out = tmp_path / "out"
    result = run_cli(["render", str(path), "-o", str(out)])
    assert result.code == 1
    line = result.err.strip()
    assert "\n" not in line and line.startswith(f"error: {path}:")
    assert f"spec.projects[0].deployments[0].{field}" in line
    assert not out.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"backend": "nim-operator"}, "backend"),
    ({"cache": {"preload": True}}, "cache"),
])
def test_ngc_downloads_without_a_secret_provider_are_refused(
        base_config: dict[str, Any], write_config: WriteConfig,
        fields: dict[str, Any], field: str) -> None:
    config = _deployment(base_config, **fields)
    config["spec"]["secrets"] = {"provider": "none"}
    result = run_cli(["render", str(write_config(config)), "-o", "-"])
    assert result.code == 1
    assert f"spec.projects[0].deployments[0].{field}" in result.err
    assert "\n" not in result.err.strip() and result.out == ""
    # mirrored weights need no key (a NIMService on NIM Operator main: v3.1.2 wants one)
    config = _deployment(config, cache={"source": {"pvc": "weights"}})
    config["spec"]["platform"] = {"nimOperator": {"version": "main"}}
    assert run_cli(["render", str(write_config(config, "ok.yaml")), "-o", "-"]).code == 0
