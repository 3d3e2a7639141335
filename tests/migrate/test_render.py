"""`migrate render`: scaffolds identical to `render`, name-keyed patches checked with the real
`kubectl kustomize`, and a deletion list only when nothing references the shared secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.migrate.export import load_export
from tests.helpers import REPO, kustomize_build, run_cli

DATA = REPO / "tests" / "data" / "migrate"
ESO = ["--provider", "external-secrets", "--store", "vault-nim"]


def _render(export: str, out: Path, *args: str) -> Any:
    result = run_cli(["migrate", "render", str(DATA / export), "-o", str(out), *args])
    assert result.code == 0, result.err
    return result


def _built(out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    docs = yamlio.load_all(kustomize_build(out), "kustomize")
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _container(sr: dict[str, Any], name: str = "kserve-container") -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in sr["spec"]["containers"] if c["name"] == name)
    return found


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _live(export: str, name: str) -> dict[str, Any]:
    rt = next(r for r in load_export(DATA / export).runtimes if r.name == name)
    return dict(rt.obj)


@pytest.mark.parametrize(("export", "names"), [
    ("legacy-modal.yaml", ["llama-318b", "mistral-7b"]),
    ("wizard.yaml", ["chat-assistant"]),
    ("mixed.yaml", ["llama"]),
])
def test_patched_runtimes_point_at_their_own_secrets_and_keep_the_rest(
        tmp_path: Path, export: str, names: list[str]) -> None:
    _render(export, tmp_path, *ESO)
    built = _built(tmp_path)
    for name in names:
        before, after = _live(export, name), built[("ServingRuntime", name)]
        env_before, env_after = _env(_container(before)), _env(_container(after))
        assert env_after.pop("NGC_API_KEY") == {
            "secretKeyRef": {"name": f"nim-api-key-{name}", "key": "NGC_API_KEY"}}
        env_before.pop("NGC_API_KEY")
        assert env_after == env_before
        pulls_before = {p["name"] for p in before["spec"].get("imagePullSecrets", [])}
        pulls_after = {p["name"] for p in after["spec"]["imagePullSecrets"]}
        assert pulls_after == (pulls_before - {"ngc-secret"}) | {f"nim-image-pull-{name}"}
        for field in ("volumes", "supportedModelFormats"):
            assert after["spec"].get(field) == before["spec"].get(field)
        for key in ("image", "volumeMounts", "ports"):
            assert _container(after).get(key) == _container(before).get(key)
        assert after["metadata"].get("annotations") == before["metadata"].get("annotations")
        assert "status" not in after and "resourceVersion" not in after["metadata"]
        assert ("ExternalSecret", f"nim-api-key-{name}") in built
        assert ("ExternalSecret", f"nim-image-pull-{name}") in built
    assert {n for k, n in built if k == "ServingRuntime"} == set(names)


def test_other_pull_secrets_survive(tmp_path: Path) -> None:
    _render("mixed.yaml", tmp_path, *ESO)
    built = _built(tmp_path)
    pulls = [p["name"] for p in built[("ServingRuntime", "llama")]["spec"]["imagePullSecrets"]]
    assert sorted(pulls) == ["corp-mirror-pull", "nim-image-pull-llama"]


def test_scaffolds_are_identical_to_render(tmp_path: Path) -> None:
    config = {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
        "metadata": {"name": "m"},
        "spec": {
            "secrets": {"provider": "vault", "scope": "deployment",
                        "vault": {"vaultAuthRef": "nim-auth",
                                                       "path": "teams/{project}/{deployment}"}},
            "projects": [{"name": "fraud-detection", "deployments": [
                {"name": "llama-318b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"}]}],
        },
    }
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config))
    rendered = run_cli(["render", str(path), "-o", "-"])
    assert rendered.code == 0, rendered.err
    expected = [d for d in yamlio.load_all(rendered.out, "render")
                if d["kind"] == "VaultStaticSecret"
                and d["metadata"]["namespace"] == "fraud-detection"]
    assert len(expected) == 2
    out = tmp_path / "out"
    _render("legacy-modal.yaml", out, "--config", str(path))
    got = [yamlio.load_one(p.read_text(), str(p)) for p in
           sorted((out / "fraud-detection" / "secrets").glob("vaultstaticsecret-*llama-318b.yaml"))]
    assert sorted(got, key=str) == sorted(expected, key=str)


def test_deletion_list_only_when_nothing_references(tmp_path: Path) -> None:
    _render("legacy-modal.yaml", tmp_path / "all", *ESO)
    doc = yamlio.load_one(
        (tmp_path / "all" / "fraud-detection" / "delete-after-restart.yaml").read_text(), "d")
    assert doc["kind"] == "List"
    assert [(i["kind"], i["metadata"]["name"]) for i in doc["items"]] == [
        ("Secret", "nvidia-nim-secrets"), ("Secret", "ngc-secret")]
    kustomization = (tmp_path / "all" / "fraud-detection" / "kustomization.yaml").read_text()
    assert "delete-after-restart" not in kustomization

    _render("legacy-modal.yaml", tmp_path / "one", *ESO, "--only", "mistral-7b")
    assert not (tmp_path / "one" / "fraud-detection" / "delete-after-restart.yaml").exists()
    built = _built(tmp_path / "one")
    assert {n for k, n in built if k == "ServingRuntime"} == {"mistral-7b"}

    _render("mixed.yaml", tmp_path / "mixed", *ESO)
    doc = yamlio.load_one(
        (tmp_path / "mixed" / "ml-prod" / "delete-after-restart.yaml").read_text(), "d")
    assert [i["metadata"]["name"] for i in doc["items"]] == ["nvidia-nim-secrets"]


def test_restart_reminder_and_no_secret_values(tmp_path: Path) -> None:
    result = _render("wizard.yaml", tmp_path, *ESO)
    assert "oc -n genai-lab rollout restart deployment/chat-assistant-predictor" in result.err
    assert "GPUs included" in result.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "RkFLRS" not in text and "eyJhdXRocyI6" not in text


def test_provider_none_writes_patches_and_says_to_create_secrets(tmp_path: Path) -> None:
    result = _render("legacy-modal.yaml", tmp_path, "--provider", "none")
    assert "create each nim-api-key-<d>" in result.err
    assert not (tmp_path / "fraud-detection" / "secrets").exists()
    assert ("ServingRuntime", "llama-318b") in _built(tmp_path)


def test_project_without_nim_writes_nothing(tmp_path: Path) -> None:
    result = _render("no-nim.yaml", tmp_path / "out", *ESO)
    assert "nothing to migrate" in result.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [
    [],
    ["--provider", "external-secrets"],
    ["--provider", "vault", "--config", "x.yaml"],
])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(["migrate", "render", str(DATA / "mixed.yaml"), "-o", str(tmp_path),
                      *args])
    assert result.code == 2


def test_project_scope_config_is_refused_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "nim-gitops.yaml"
    config.write_text(yamlio.dump({
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
        "metadata": {"name": "m"},
        "spec": {"secrets": {"provider": "vault", "scope": "project"}}}))
    out = tmp_path / "out"
    result = run_cli(["migrate", "render", str(DATA / "legacy-modal.yaml"), "-o", str(out),
                      "--config", str(config)])
    assert result.code == 1
    assert "spec.secrets.scope" in result.err and result.err.count("\n") == 1
    assert not out.exists()
