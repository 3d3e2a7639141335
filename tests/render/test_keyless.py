"""Keyless where NVIDIA allows it: with the extended details, a public image gets no pull
secret and a keyless NIM LLM release no API key; the config can still force both."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.catalog import ModelEntry, configmap_yaml
from generator.keyless import keyless_release
from generator.metadata.extended import Details, Variant, details_json
from tests.helpers import run_cli
from tests.secret_refs import dangling

MODELS = [
    ModelEntry("open-llm", "Open LLM", "", "nim/meta", ("2.0.11", "1.15.5"), "2.0.11", "2026"),
    ModelEntry("gated-llm", "Gated LLM", "", "nim/meta", ("2.0.11",), "2.0.11", "2026"),
    ModelEntry("unknown-llm", "Unknown", "", "nim/meta", ("2.0.11",), "2.0.11", "2026"),
]
DETAILS = [
    Details("open-llm", "2.0.11", public=True, guest_pull=True, signed_tags=True,
            image_size=10, variants={"amd64": Variant("sha256:" + "a" * 64, 10)}),
    Details("gated-llm", "2.0.11", public=True, guest_pull=False),
]


def _write(tmp_path: Path, deployments: list[dict[str, Any]], scope: str = "deployment",
           provider: str = "external-secrets", extended: bool = True,
           target: str = "redesign") -> Path:
    (tmp_path / "catalog.yaml").write_text(configmap_yaml(MODELS), "utf-8")
    (tmp_path / "details.json").write_text(details_json(DETAILS), "utf-8")
    catalog: dict[str, Any] = {"file": "catalog.yaml"}
    if extended:
        catalog["extended"] = "details.json"
    config = {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
        "metadata": {"name": "keyless"},
        "spec": {
            "platform": {"target": target, "catalog": catalog},
            "secrets": {"provider": provider, "scope": scope,
                        "externalSecrets": {"storeRef": {"name": "ngc"}}},
            "projects": [{"name": "p", "deployments": deployments}],
        },
    }
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


def _objects(config: Path) -> dict[tuple[str, str], dict[str, Any]]:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    return {(o["kind"], o["metadata"]["name"]): o for o in yamlio.load_all(result.out, "out")}


def _uses(objects: dict[tuple[str, str], dict[str, Any]], name: str) -> tuple[bool, bool]:
    """(the runtime reads a key, the runtime names a pull secret)."""
    spec = objects[("ServingRuntime", name)]["spec"]
    env = [e["name"] for e in spec["containers"][0]["env"]]
    return "NGC_API_KEY" in env, "imagePullSecrets" in spec


@pytest.mark.parametrize(("model", "tag", "required", "key", "pull"), [
    ("open-llm", "2.0.11", False, False, False),   # public, keyless release: nothing
    ("open-llm", "1.15.5", False, True, False),    # public image, release before 2.0.10: key
    ("open-llm", "2.0.11", True, True, True),      # forced by the config
    ("gated-llm", "2.0.11", False, True, True),    # no anonymous pull
    ("unknown-llm", "2.0.11", False, True, True),  # not in the details: unknown, keep both
])
def test_key_and_pull_secret_follow_the_details(tmp_path: Path, model: str, tag: str,
                                                required: bool, key: bool, pull: bool,
                                                crd_validate: Callable[..., list[str]],
                                                ) -> None:
    deployment: dict[str, Any] = {"name": "d", "model": model, "tag": tag}
    if required:
        deployment["apiKey"] = {"required": True}
    objects = _objects(_write(tmp_path, [deployment]))
    assert _uses(objects, "d") == (key, pull)
    assert (("ExternalSecret", "nim-api-key-d") in objects) is key
    assert (("ExternalSecret", "nim-image-pull-d") in objects) is pull
    assert crd_validate(list(objects.values()), "redesign") == []


def test_without_the_details_file_every_deployment_keeps_its_key(tmp_path: Path) -> None:
    objects = _objects(_write(tmp_path, [{"name": "d", "model": "open-llm", "tag": "2.0.11"}],
                              extended=False))
    assert _uses(objects, "d") == (True, True)


def test_project_scope_keeps_the_shared_secrets_but_keyless_runtimes_skip_them(
        tmp_path: Path) -> None:
    objects = _objects(_write(tmp_path, [
        {"name": "free", "model": "open-llm", "tag": "2.0.11"},
        {"name": "paid", "model": "gated-llm", "tag": "2.0.11"}], scope="project"))
    assert ("ExternalSecret", "nvidia-nim-secrets") in objects
    assert _uses(objects, "free") == (False, False)
    assert _uses(objects, "paid") == (True, True)


def test_a_bad_details_file_is_one_line_naming_it(tmp_path: Path) -> None:
    config = _write(tmp_path, [{"name": "d", "model": "open-llm"}])
    details = tmp_path / "details.json"
    data = json.loads(details.read_text())
    data["models"]["open-llm"]["guestPull"] = "yes"
    details.write_text(json.dumps(data))
    result = run_cli(["render", str(config), "-o", str(tmp_path / "out")])
    assert result.code == 1 and str(details) in result.err and "guestPull" in result.err
    assert result.err.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("tag", "keyless"), [
    ("2.0.10", True), ("2.0.11", True), ("2.1.6", True), ("2.0.11-variant", True),
    ("2.0.9", False), ("1.15.5", False), ("3.0.0", False), ("2.0.4-pb6", False),
    ("2.0.12-pb1", False),
    ("latest", False), ("2", False),
])
def test_keyless_releases_are_the_documented_range(tag: str, keyless: bool) -> None:
    assert keyless_release(tag) is keyless


# keyless (2.0.11), pull secret only dropped (1.15.5), both kept (gated, forced)
MIXED = [("free", "open-llm", "2.0.11", False), ("old", "open-llm", "1.15.5", False),
         ("paid", "gated-llm", "2.0.11", False), ("forced", "open-llm", "2.0.11", True)]


@pytest.mark.parametrize("provider", ["external-secrets", "vault"])
@pytest.mark.parametrize("scope", ["deployment", "project"])
@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize(("backend", "preload"), [
    ("kserve", False), ("kserve", True), ("nim-operator", False), ("nim-operator", True)])
def test_keyless_objects_name_only_secrets_the_render_creates(
        tmp_path: Path, provider: str, scope: str, target: str, backend: str, preload: bool,
        crd_validate: Callable[..., list[str]]) -> None:
    deployments: list[dict[str, Any]] = []
    for name, model, tag, forced in MIXED:
        d: dict[str, Any] = {"name": name, "model": model, "tag": tag, "backend": backend,
                             "cache": {"preload": preload}}
        if forced:
            d["apiKey"] = {"required": True}
        deployments.append(d)
    config = _write(tmp_path, deployments, scope=scope, provider=provider, target=target)
    objects = list(_objects(config).values())
    assert dangling(objects) == []
    assert crd_validate(objects, target) == []


def _fill_job(objects: dict[tuple[str, str], dict[str, Any]], name: str) -> dict[str, Any]:
    jobs = [o for (kind, _), o in objects.items()
            if kind == "Job" and o["metadata"]["labels"][
                "nim-gitops.opendatahub.io/deployment"] == name]
    assert len(jobs) == 1
    return dict(jobs[0]["spec"]["template"]["spec"])


@pytest.mark.parametrize(("tag", "key", "pull"), [
    ("2.0.11", False, False), ("1.15.5", True, False)])
def test_the_fill_job_of_a_keyless_deployment_names_what_it_needs(
        tmp_path: Path, tag: str, key: bool, pull: bool) -> None:
    objects = _objects(_write(tmp_path, [{"name": "d", "model": "open-llm", "tag": tag,
                                          "cache": {"preload": True}}]))
    pod = _fill_job(objects, "d")
    env = [e["name"] for e in pod["containers"][0]["env"]]
    assert ("NGC_API_KEY" in env) is key
    assert ("imagePullSecrets" in pod) is pull


def test_a_keyless_nim_operator_deployment_keeps_the_key_its_nimcache_requires(
        tmp_path: Path) -> None:
    objects = _objects(_write(tmp_path, [{"name": "d", "model": "open-llm", "tag": "2.0.11",
                                          "backend": "nim-operator"}]))
    ngc = objects[("NIMCache", "d")]["spec"]["source"]["ngc"]
    service = objects[("NIMService", "d")]["spec"]
    assert ngc["authSecret"] == "nim-api-key-d" == service["authSecret"]
    assert "pullSecret" not in ngc and "pullSecrets" not in service["image"]
    assert ("ExternalSecret", "nim-api-key-d") in objects
    assert ("ExternalSecret", "nim-image-pull-d") not in objects


def test_a_keyless_nim_operator_deployment_from_mirrored_weights_names_no_secret(
        tmp_path: Path) -> None:
    """On NIM Operator main; v3.1.2 keeps the key (tests/chart/test_nim_operator_versions.py)."""
    path = _write(tmp_path, [{
        "name": "d", "model": "open-llm", "tag": "2.0.11", "backend": "nim-operator",
        "cache": {"source": {"pvc": "weights"}}}])
    config = yamlio.load_one(path.read_text("utf-8"), str(path))
    config["spec"]["platform"]["nimOperator"] = {"version": "main"}
    path.write_text(yamlio.dump(config), "utf-8")
    objects = _objects(path)
    service = objects[("NIMService", "d")]["spec"]
    assert "authSecret" not in service and "pullSecrets" not in service["image"]
    assert not [key for key in objects if key[0] == "ExternalSecret"]
