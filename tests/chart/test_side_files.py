"""What the config's side files say reaches the chart through the values: the digest lock
(`airGap.pinDigests`) and the extended details (keyless). `helm template` with `nim-gitops
values` gives the same objects as `render`, and they pass the strict schema checks (kubeconform
where installed, and the project's own validator)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import yamlio
from generator.airgap.lock import lock_text
from generator.catalog import ModelEntry, configmap_yaml
from generator.metadata.extended import Details, details_json
from tests.chart.support import (
    assert_same_objects,
    helm,
    helm_template,
    objects_by_key,
    render_build,
    write_values,
)
from tests.helpers import run_cli
from tests.kubeconform_support import StrictChecker, failures
from tests.secret_refs import dangling

TARGETS = ("current", "redesign")
BASE: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "side-files"},
}
LLAMA = "nvcr.io/nim/meta/llama-3.1-8b-instruct"
MISTRAL = "nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3"


def digest_of(image: str) -> str:
    """A made-up but well-formed digest, different for every image."""
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def _write(tmp_path: Path, spec: dict[str, Any]) -> Path:
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump({**copy.deepcopy(BASE), "spec": spec}), "utf-8")
    return path


def _lock(tmp_path: Path, images: list[str]) -> Path:
    path = tmp_path / "nim-gitops.lock.yaml"
    path.write_text(lock_text({image: digest_of(image) for image in images}), "utf-8")
    return path


def _charted(chart: Path, config: Path, tmp_path: Path, target: str,
             catalog: Path | None = None) -> str:
    """`helm template` of the chart with `nim-gitops values`, checked against `render`."""
    values = write_values(config, tmp_path / "values.yaml", catalog, target)
    charted = helm_template(chart, values)
    assert_same_objects(render_build(config, tmp_path / "render", catalog, target), charted)
    return charted


def _passes_strict_schemas(strict_checker: StrictChecker, tmp_path: Path, stream: str,
                        target: str) -> None:
    path = tmp_path / "charted.yaml"
    path.write_text(stream, "utf-8")
    assert failures(strict_checker.check([path], target)) == []


# --- digest pinning -------------------------------------------------------------------------

PINNED: dict[str, Any] = {
    "airGap": {"mirror": "registry.example.com/nvcr", "pinDigests": True},
    "projects": [
        {"name": "p1", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"},
            {"name": "b", "model": "llama-3.1-8b-instruct", "tag": "1.13.1",
             "cache": {"source": {"pvc": "filled"}}},
            # the fill Job's name hashes the pinned image, on both sides alike
            {"name": "s", "model": "mistral-7b-instruct-v0.3", "tag": "1.12.0",
             "cache": {"source": {"s3": {"url": "s3://weights/mistral", "image": "aws:2",
                                         "credentialsSecret": "s3"}}}},
        ]},
        {"name": "p2", "deployments": [
            {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"}]},
    ],
}
PINNED_IMAGES = [f"{LLAMA}:1.13.1", f"{LLAMA}:1.15.5", f"{MISTRAL}:1.12.0"]


@pytest.mark.parametrize("target", TARGETS)
def test_pinned_digests_parity(chart_dir: Path, tmp_path: Path, target: str,
                               strict_checker: StrictChecker) -> None:
    config = _write(tmp_path, PINNED)
    # the lock may hold more than the config uses; the values carry only what it uses
    _lock(tmp_path, [*PINNED_IMAGES, f"{LLAMA}:1.12.0"])
    charted = _charted(chart_dir, config, tmp_path, target)
    values = yaml.safe_load((tmp_path / "values.yaml").read_text("utf-8"))
    assert values["airGap"]["digests"] == {i: digest_of(i) for i in PINNED_IMAGES}
    objects = objects_by_key(charted, strip_helm_labels=True)
    images = {o["spec"]["containers"][0]["image"] for o in objects.values()
              if o["kind"] == "ServingRuntime"}
    assert images == {f"{LLAMA}@{digest_of(f'{LLAMA}:1.15.5')}",
                      f"{LLAMA}@{digest_of(f'{LLAMA}:1.13.1')}",
                      f"{MISTRAL}@{digest_of(f'{MISTRAL}:1.12.0')}"}
    assert "ImageDigestMirrorSet" in {key[1] for key in objects}
    _passes_strict_schemas(strict_checker, tmp_path, charted, target)


def test_values_name_the_lock_they_read(tmp_path: Path) -> None:
    config = _write(tmp_path, PINNED)
    _lock(tmp_path, PINNED_IMAGES)
    result = run_cli(["values", str(config)])
    assert result.code == 0, result.err
    assert "# airGap.digests from nim-gitops.lock.yaml." in result.out.splitlines()


def test_changed_digest_changes_the_chart_output(chart_dir: Path, tmp_path: Path) -> None:
    """The parity above can fail: the chart really uses the digests of the values."""
    config = _write(tmp_path, PINNED)
    _lock(tmp_path, PINNED_IMAGES)
    values = write_values(config, tmp_path / "values.yaml")
    text = values.read_text("utf-8")
    old = digest_of(f"{LLAMA}:1.15.5")
    values.write_text(text.replace(old, "sha256:" + "0" * 64), "utf-8")
    with pytest.raises(AssertionError, match="differs"):
        assert_same_objects(render_build(config, tmp_path / "render"),
                            helm_template(chart_dir, values))


def _values_error(tmp_path: Path, config: Path) -> tuple[int, str, Path]:
    out = tmp_path / "values.yaml"
    result = run_cli(["values", str(config), "-o", str(out)])
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    assert not out.exists()
    return result.code, result.err, out


def test_missing_lock_is_one_line_naming_it(tmp_path: Path) -> None:
    code, err, _ = _values_error(tmp_path, _write(tmp_path, PINNED))
    assert code == 1
    assert str(tmp_path / "nim-gitops.lock.yaml") in err and "nim-gitops airgap lock" in err


def test_lock_without_an_image_is_one_line_naming_it(tmp_path: Path) -> None:
    config = _write(tmp_path, PINNED)
    lock = _lock(tmp_path, PINNED_IMAGES[:2])
    code, err, _ = _values_error(tmp_path, config)
    assert code == 1 and str(lock) in err and f"{MISTRAL}:1.12.0" in err


@pytest.mark.parametrize("bad", ["sha256:abc", "md5:" + "0" * 64, "nvapi-not-a-digest"])
def test_bad_digest_in_the_lock_is_one_line_naming_it(tmp_path: Path, bad: str) -> None:
    config = _write(tmp_path, PINNED)
    lock = _lock(tmp_path, PINNED_IMAGES)
    lock.write_text(lock.read_text("utf-8").replace(digest_of(PINNED_IMAGES[0]), bad), "utf-8")
    code, err, _ = _values_error(tmp_path, config)
    assert code == 1 and str(lock) in err and f"digests.{PINNED_IMAGES[0]}" in err


def test_lock_of_another_kind_is_one_line_naming_it(tmp_path: Path) -> None:
    config = _write(tmp_path, PINNED)
    lock = _lock(tmp_path, PINNED_IMAGES)
    lock.write_text("kind: Something\n", "utf-8")
    code, err, _ = _values_error(tmp_path, config)
    assert code == 1 and str(lock) in err


def _template_fails(chart: Path, tmp_path: Path, values: dict[str, Any]) -> str:
    path = tmp_path / "values.yaml"
    path.write_text(yamlio.dump(values), "utf-8")
    proc = helm("template", "nim", str(chart), "-f", str(path), check=False)
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    return proc.stderr


def test_chart_without_a_digest_for_an_image_names_it(chart_dir: Path, tmp_path: Path) -> None:
    values = copy.deepcopy(PINNED)
    values["airGap"]["digests"] = {i: digest_of(i) for i in PINNED_IMAGES[:2]}
    err = _template_fails(chart_dir, tmp_path, values)
    assert f"airGap.digests: no digest for {MISTRAL}:1.12.0 (projects[0].deployments[2])" in err


# Helm's schema messages are Helm's wording: the test wants the values path and the culprit.
@pytest.mark.parametrize(("digests", "names"), [
    ({f"{LLAMA}:1.15.5": "sha256:abc"}, ("/airGap/digests/", "sha256:abc")),
    ({"quay.io/x:1": digest_of("x")}, ("/airGap/digests", "quay.io/x:1")),
    ({f"{LLAMA}@sha256:00": digest_of("x")}, ("/airGap/digests", f"{LLAMA}@sha256:00")),
])
def test_chart_schema_refuses_bad_digests(chart_dir: Path, tmp_path: Path,
                                          digests: dict[str, str],
                                          names: tuple[str, ...]) -> None:
    values = copy.deepcopy(PINNED)
    values["airGap"]["digests"] = digests
    err = _template_fails(chart_dir, tmp_path, values)
    assert all(name in err for name in names), err


def test_chart_refuses_digests_it_would_not_read(chart_dir: Path, tmp_path: Path) -> None:
    values = copy.deepcopy(PINNED)
    values["airGap"] = {"mirror": "r.example", "digests": {f"{LLAMA}:1.15.5": digest_of("x")}}
    assert "airGap.digests: only read with airGap.pinDigests: true" in \
        _template_fails(chart_dir, tmp_path, values)


# --- keyless (the extended details) ---------------------------------------------------------

def _details(tmp_path: Path, *details: Details) -> None:
    (tmp_path / "details.json").write_text(details_json(details), "utf-8")


SAMPLE_DETAILS = (
    Details("llama-3.1-8b-instruct", "1.15.5", public=True, guest_pull=True),
    Details("mistral-7b-instruct-v0.3", "1.12.0", public=True),  # no canGuestPull: isPublic
    Details("nv-embedqa-e5-v5", "1.10.1", public=True, guest_pull=False),
)


def _keyless_spec(provider: str, scope: str) -> dict[str, Any]:
    secrets: dict[str, Any] = {"provider": provider, "scope": scope}
    if provider == "external-secrets":
        secrets["externalSecrets"] = {"storeRef": {"name": "keys"}}
    return {
        "platform": {"catalog": {"extended": "details.json"}},
        "secrets": secrets,
        "projects": [{"name": "p1", "deployments": [
            {"name": "open", "model": "llama-3.1-8b-instruct"},
            {"name": "public", "model": "mistral-7b-instruct-v0.3", "protocol": "grpc"},
            {"name": "forced", "model": "llama-3.1-8b-instruct", "apiKey": {"required": True}},
            {"name": "gated", "model": "nv-embedqa-e5-v5"},
            {"name": "unknown", "model": "llama-3.3-70b-instruct"},
            {"name": "filled", "model": "llama-3.1-8b-instruct", "cache": {"preload": True}},
            {"name": "op", "backend": "nim-operator", "model": "llama-3.1-8b-instruct"},
        ]}],
    }


def _runtime_uses(objects: dict[Any, dict[str, Any]], project: str, name: str,
                  ) -> tuple[bool, bool]:
    """(the ServingRuntime reads a key, it names a pull secret)."""
    [spec] = [o["spec"] for k, o in objects.items()
              if k[1] == "ServingRuntime" and k[2] == project and k[3] == name]
    env = {e["name"] for e in spec["containers"][0]["env"]}
    return "NGC_API_KEY" in env, "imagePullSecrets" in spec


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("provider", ["external-secrets", "vault"])
def test_keyless_parity_with_the_sample_catalog(chart_dir: Path, tmp_path: Path, target: str,
                                                provider: str,
                                                strict_checker: StrictChecker) -> None:
    """Public images lose their pull secret (no sample tag is a keyless release: keys stay)."""
    _details(tmp_path, *SAMPLE_DETAILS)
    charted = _charted(chart_dir, _write(tmp_path, _keyless_spec(provider, "deployment")),
                       tmp_path, target)
    objects = objects_by_key(charted, strip_helm_labels=True)
    assert _runtime_uses(objects, "p1", "open") == (True, False)
    assert _runtime_uses(objects, "p1", "public") == (True, False)
    assert _runtime_uses(objects, "p1", "forced") == (True, True)
    assert _runtime_uses(objects, "p1", "gated") == (True, True)
    assert _runtime_uses(objects, "p1", "unknown") == (True, True)
    names = {key[3] for key in objects if key[1] in ("ExternalSecret", "VaultStaticSecret")}
    assert "nim-image-pull-open" not in names and "nim-api-key-open" in names
    assert "nim-image-pull-forced" in names
    _passes_strict_schemas(strict_checker, tmp_path, charted, target)


@pytest.mark.parametrize("target", TARGETS)
def test_keyless_parity_with_project_keys(chart_dir: Path, tmp_path: Path,
                                          target: str) -> None:
    _details(tmp_path, *SAMPLE_DETAILS)
    charted = _charted(chart_dir, _write(tmp_path, _keyless_spec("vault", "project")),
                       tmp_path, target)
    objects = objects_by_key(charted, strip_helm_labels=True)
    assert _runtime_uses(objects, "p1", "open") == (True, False)
    assert _runtime_uses(objects, "p1", "gated") == (True, True)


def test_values_carry_the_anonymous_models_the_config_deploys(tmp_path: Path) -> None:
    _details(tmp_path, *SAMPLE_DETAILS,
             Details("llama-3.3-70b-instruct", "1.15.5", guest_pull=True))
    spec = _keyless_spec("vault", "deployment")
    spec["projects"][0]["deployments"].pop(4)  # nothing deploys llama-3.3-70b-instruct now
    config = _write(tmp_path, spec)
    result = run_cli(["values", str(config)])
    assert result.code == 0, result.err
    catalog = yaml.safe_load(result.out)["platform"]["catalog"]
    assert catalog == {"anonymousPull": ["llama-3.1-8b-instruct", "mistral-7b-instruct-v0.3"]}
    assert "# platform.catalog.anonymousPull from details.json." in result.out.splitlines()


def test_values_with_a_bad_details_file_is_one_line_naming_it(tmp_path: Path) -> None:
    _details(tmp_path, *SAMPLE_DETAILS)
    details = tmp_path / "details.json"
    details.write_text(details.read_text("utf-8").replace('"guestPull": true',
                                                          '"guestPull": "yes"'), "utf-8")
    code, err, _ = _values_error(tmp_path, _write(tmp_path, _keyless_spec("vault", "project")))
    assert code == 1 and str(details) in err and "guestPull" in err


def test_chart_refuses_an_anonymous_model_it_does_not_know(chart_dir: Path,
                                                          tmp_path: Path) -> None:
    err = _template_fails(chart_dir, tmp_path,
                          {"platform": {"catalog": {"anonymousPull": ["llama-9"]}}})
    assert 'platform.catalog.anonymousPull[0]: "llama-9" is not in the chart' in err


# Tags in NVIDIA's keyless range need their own catalog (the sample has none).
KEYLESS_MODELS = [
    ModelEntry("open-llm", "Open LLM", "", "nim/meta", ("2.0.11", "2.0.4-pb6", "1.15.5"),
               "2.0.11", "2026"),
    ModelEntry("gated-llm", "Gated LLM", "", "nim/meta", ("2.0.11",), "2.0.11", "2026"),
    ModelEntry("unknown-llm", "Unknown", "", "nim/meta", ("2.0.11",), "2.0.11", "2026"),
]
KEYLESS_DETAILS = (
    Details("open-llm", "2.0.11", public=True, guest_pull=True),
    Details("gated-llm", "2.0.11", public=True, guest_pull=False),
)


@pytest.fixture(scope="module")
def keyless_chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A chart embedding KEYLESS_MODELS, and that catalog."""
    root = tmp_path_factory.mktemp("keyless-chart")
    catalog = root / "catalog.yaml"
    catalog.write_text(configmap_yaml(KEYLESS_MODELS), "utf-8")
    result = run_cli(["chart", "--catalog", str(catalog), "-o", str(root / "nim-gitops")])
    assert result.code == 0, result.err
    return root / "nim-gitops", catalog


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("provider", "scope"), [
    ("external-secrets", "deployment"), ("vault", "deployment"), ("external-secrets", "project"),
])
def test_keyless_release_parity(keyless_chart: tuple[Path, Path], tmp_path: Path, target: str,
                                provider: str, scope: str, strict_checker: StrictChecker) -> None:
    chart, catalog = keyless_chart
    (tmp_path / "catalog.yaml").write_bytes(catalog.read_bytes())
    _details(tmp_path, *KEYLESS_DETAILS)
    spec = _keyless_spec(provider, scope)
    spec["platform"]["catalog"]["file"] = "catalog.yaml"
    spec["projects"][0]["deployments"] = [
        {"name": "free", "model": "open-llm"},
        {"name": "old", "model": "open-llm", "tag": "1.15.5"},
        {"name": "pb", "model": "open-llm", "tag": "2.0.4-pb6"},
        {"name": "forced", "model": "open-llm", "apiKey": {"required": True}},
        {"name": "gated", "model": "gated-llm"},
        {"name": "unknown", "model": "unknown-llm"},
    ]
    charted = _charted(chart, _write(tmp_path, spec), tmp_path, target, catalog)
    objects = objects_by_key(charted, strip_helm_labels=True)
    expected = {"free": (False, False), "old": (True, False), "pb": (True, False),
                "forced": (True, True), "gated": (True, True), "unknown": (True, True)}
    assert {name: _runtime_uses(objects, "p1", name) for name in expected} == expected
    if scope == "deployment":
        names = {key[3] for key in objects if key[1] in ("ExternalSecret", "VaultStaticSecret")}
        assert not {"nim-api-key-free", "nim-image-pull-free", "nim-image-pull-old"} & names
        assert {"nim-api-key-old", "nim-api-key-forced", "nim-image-pull-forced"} <= names
    _passes_strict_schemas(strict_checker, tmp_path, charted, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("provider", ["external-secrets", "vault"])
@pytest.mark.parametrize("scope", ["deployment", "project"])
def test_keyless_preload_and_nim_operator_parity(keyless_chart: tuple[Path, Path],
                                                 tmp_path: Path, target: str, provider: str,
                                                 scope: str) -> None:
    """The fill Job, NIMCache and NIMService of keyless deployments name only Secrets the same
    release creates, in the chart as in `render`."""
    chart, catalog = keyless_chart
    (tmp_path / "catalog.yaml").write_bytes(catalog.read_bytes())
    _details(tmp_path, *KEYLESS_DETAILS)
    spec = _keyless_spec(provider, scope)
    spec["platform"]["catalog"]["file"] = "catalog.yaml"
    preload = {"preload": True}
    spec["projects"][0]["deployments"] = [
        {"name": "free", "model": "open-llm", "cache": preload},
        {"name": "old", "model": "open-llm", "tag": "1.15.5", "cache": preload},
        {"name": "gated", "model": "gated-llm", "cache": preload},
        {"name": "op-free", "model": "open-llm", "backend": "nim-operator"},
        {"name": "op-old", "model": "open-llm", "tag": "1.15.5", "backend": "nim-operator",
         "cache": preload},
        {"name": "op-pvc", "model": "open-llm", "backend": "nim-operator",
         "cache": {"source": {"pvc": "weights"}}},
    ]
    charted = _charted(chart, _write(tmp_path, spec), tmp_path, target, catalog)
    objects = objects_by_key(charted, strip_helm_labels=True)
    assert dangling(list(objects.values())) == []
    [nim_cache] = [o for k, o in objects.items() if k[1] == "NIMCache" and k[3] == "op-free"]
    assert "pullSecret" not in nim_cache["spec"]["source"]["ngc"]
    assert nim_cache["spec"]["source"]["ngc"]["authSecret"]  # the CRD requires it
    [pvc_service] = [o for k, o in objects.items() if k[1] == "NIMService" and k[3] == "op-pvc"]
    # NIM Operator v3.1.2 (the default) requires it, and it names a Secret the release creates
    # (no dangling reference above); on main there is none (test_nim_operator_versions.py)
    assert pvc_service["spec"]["authSecret"]


# --- keyless preload with secrets.provider none -----------------------------------------------

def _provider_none_spec(*deployments: dict[str, Any]) -> dict[str, Any]:
    return {"platform": {"catalog": {"file": "catalog.yaml", "extended": "details.json"}},
            "secrets": {"provider": "none"},
            "projects": [{"name": "p1", "deployments": list(deployments)}]}


@pytest.mark.parametrize("target", TARGETS)
def test_provider_none_renders_a_keyless_preload(keyless_chart: tuple[Path, Path],
                                                 tmp_path: Path, target: str,
                                                 strict_checker: StrictChecker,
                                                 crd_schemas: str) -> None:
    """A keyless release's fill Job needs no key and no pull secret, so provider none (which
    references none) can preload it; the chart agrees with `render` and passes the strict
    schema checks."""
    chart, catalog = keyless_chart
    (tmp_path / "catalog.yaml").write_bytes(catalog.read_bytes())
    _details(tmp_path, *KEYLESS_DETAILS)
    config = _write(tmp_path, _provider_none_spec(
        {"name": "free", "model": "open-llm", "cache": {"preload": True}}))
    charted = _charted(chart, config, tmp_path, target, catalog)
    objects = objects_by_key(charted, strip_helm_labels=True)
    [job] = [o for k, o in objects.items() if k[1] == "Job"]
    pod = job["spec"]["template"]["spec"]
    assert "imagePullSecrets" not in pod
    assert all("NGC_API_KEY" not in {e["name"] for e in c.get("env", [])}
               for c in [*pod.get("initContainers", []), *pod["containers"]])
    assert "secret" not in json.dumps(pod).lower()  # no secretKeyRef, secretRef or volume
    assert not [k for k in objects if "Secret" in k[1]]
    _passes_strict_schemas(strict_checker, tmp_path, charted, target)
    checked = run_cli(["validate", "--strict", "--target", target,
                       "--schema-location", crd_schemas, str(tmp_path / "render")])
    assert checked.code == 0, checked.out + checked.err


NO_KEY = "downloading the weights from NGC needs the deployment's key Secret"


@pytest.mark.parametrize(("deployment", "field"), [
    ({"name": "old", "model": "open-llm", "tag": "1.15.5", "cache": {"preload": True}},
     "cache"),                                                 # public image, needs a key
    ({"name": "gated", "model": "gated-llm", "cache": {"preload": True}}, "cache"),
    ({"name": "forced", "model": "open-llm", "apiKey": {"required": True},
      "cache": {"preload": True}}, "cache"),
    ({"name": "op", "model": "open-llm", "backend": "nim-operator"}, "backend"),  # NIMCache
])
def test_provider_none_still_refuses_a_download_that_needs_a_key(
        keyless_chart: tuple[Path, Path], tmp_path: Path, deployment: dict[str, Any],
        field: str) -> None:
    chart, catalog = keyless_chart
    (tmp_path / "catalog.yaml").write_bytes(catalog.read_bytes())
    _details(tmp_path, *KEYLESS_DETAILS)
    config = _write(tmp_path, _provider_none_spec(
        {"name": "fine", "model": "open-llm"}, deployment))
    where = f"projects[0].deployments[1].{field}: {NO_KEY}"
    values_out = tmp_path / "values.yaml"
    refused = run_cli(["values", "--catalog", str(catalog), str(config), "-o", str(values_out)])
    assert refused.code == 1 and refused.err.count("\n") == 1 and not values_out.exists()
    assert str(config) in refused.err and f"spec.{where}" in refused.err
    rendered = run_cli(["render", str(config), "-o", str(tmp_path / "out")])
    assert rendered.code == 1 and f"spec.{where}" in rendered.err
    assert not (tmp_path / "out").exists()
    # the values `nim-gitops values` would have written (it refuses to): the chart refuses too
    values = {"platform": {"catalog": {"anonymousPull": ["open-llm"]}},
              "secrets": {"provider": "none"},
              "projects": [{"name": "p1", "deployments": [{"name": "fine", "model": "open-llm"},
                                                          deployment]}]}
    assert where in _template_fails(chart, tmp_path, values)
