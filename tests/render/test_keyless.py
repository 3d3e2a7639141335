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
           provider: str = "external-secrets", extended: bool = True) -> Path:
    (tmp_path / "catalog.yaml").write_text(configmap_yaml(MODELS), "utf-8")
    (tmp_path / "details.json").write_text(details_json(DETAILS), "utf-8")
    catalog: dict[str, Any] = {"file": "catalog.yaml"}
    if extended:
        catalog["extended"] = "details.json"
    config = {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
        "metadata": {"name": "keyless"},
        "spec": {
            "platform": {"target": "redesign", "catalog": catalog},
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
