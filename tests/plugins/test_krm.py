"""`nim-gitops krm` as a KRM function (ResourceList in, ResourceList out) and in legacy mode."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, SNAPSHOT, run_cli

QUICKSTART = EXAMPLES / "quickstart/nim-gitops.yaml"
KUSTOMIZE_ANNOTATIONS = {
    "config.kubernetes.io/local-config": "true",
    "config.kubernetes.io/index": "0",
    "internal.config.kubernetes.io/path": "generators/nim.yaml",
    "internal.config.kubernetes.io/index": "0",
    "config.kubernetes.io/function": "exec:\n  path: /usr/local/bin/nim-gitops\n  args: [krm]\n",
}


def _function_config(path: Path = QUICKSTART) -> dict[str, Any]:
    config: dict[str, Any] = yamlio.load_one(path.read_text("utf-8"), str(path))
    config["metadata"]["annotations"] = dict(KUSTOMIZE_ANNOTATIONS)
    return config


def _resource_list(function_config: Any, items: list[Any] | None = None) -> str:
    return yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                        "items": [function_config] if items is None else items,
                        "functionConfig": function_config})


def _rendered(config: Path) -> list[Any]:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render")


def _run(text: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli(["krm"], input=text)
    out: dict[str, Any] = yamlio.load_one(result.out, "krm stdout")
    assert out["apiVersion"] == "config.kubernetes.io/v1" and out["kind"] == "ResourceList"
    return result.code, out, result.err


def test_function_appends_exactly_what_render_produces() -> None:
    function_config = _function_config()
    code, out, err = _run(_resource_list(function_config))
    assert code == 0, err
    assert "results" not in out
    assert out["items"][0] == function_config
    assert out["items"][1:] == _rendered(QUICKSTART)


def test_function_keeps_other_items_and_replaces_its_own() -> None:
    """Its own earlier output is replaced (idempotent); an item that only shares an identity
    with a generated object is the user's: kept, with a warning result (issue #27 item 16)."""
    other = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "unrelated", "namespace": "team-a"}, "data": {"a": "b"}}
    users = {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "team-a", "labels": {"owner": "the-user"}}}
    function_config = _function_config()
    code, out, err = _run(_resource_list(function_config, [other, users]))
    assert code == 0, err
    rendered = _rendered(QUICKSTART)
    assert out["items"] == [other, users, *(o for o in rendered if o["kind"] != "Namespace")]
    (warning,) = out["results"]
    assert warning["severity"] == "warning" and "Namespace/team-a" in warning["message"]
    code, out, err = _run(_resource_list(function_config, [other]))
    assert code == 0, err
    code, again, err = _run(_resource_list(function_config, out["items"]))
    assert code == 0, err
    assert again["items"] == out["items"] and "results" not in again


def test_invalid_function_config_is_a_result_and_exit_1() -> None:
    function_config = _function_config()
    function_config["spec"]["projects"][0]["deployments"][0]["tag"] = "9.9.9"
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}]
    code, out, err = _run(_resource_list(function_config, items))
    assert code == 1
    assert out["items"] == items
    [entry] = out["results"]
    assert entry["severity"] == "error"
    assert '"9.9.9" is not a tag' in entry["message"]
    assert entry["field"] == {"path": "spec.projects[0].deployments[0].tag"}
    assert entry["file"] == {"path": "generators/nim.yaml"}
    assert "generators/nim.yaml spec.projects[0].deployments[0].tag" in err


def test_schema_error_without_path_annotation_names_the_object() -> None:
    function_config = _function_config()
    del function_config["metadata"]["annotations"]
    function_config["spec"]["projects"][0]["bogus"] = 1
    code, out, err = _run(_resource_list(function_config))
    assert code == 1
    [entry] = out["results"]
    assert entry["field"]["path"] == "spec.projects[0].bogus"
    assert "file" not in entry
    assert "functionConfig NimGitOps/quickstart" in err


@pytest.mark.parametrize(("text", "message"), [
    ("items: [\n", "invalid YAML"),
    ("", "expected a ResourceList"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "expected a ResourceList"),
    ("apiVersion: config.kubernetes.io/v2\nkind: ResourceList\nitems: []\n"
     "functionConfig: {}\n", "apiVersion must be config.kubernetes.io/v1"),
    ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
     "functionConfig is required"),
    ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {}\n"
     "functionConfig: {}\n", "must be a list"),
    ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n"
     "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n", "NimGitOps"),
])
def test_bad_input_is_a_result_and_exit_1(text: str, message: str) -> None:
    code, out, err = _run(text)
    assert code == 1
    assert out["results"][0]["severity"] == "error"
    assert message in out["results"][0]["message"]
    assert message in err


def test_non_utf8_input_is_a_result() -> None:
    result = run_cli(["krm"], input=b"\xff\xfe kind: ResourceList".decode("latin-1"))
    assert result.code == 1
    assert "error" in result.out


def test_catalog_file_is_relative_to_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalog").mkdir()
    shutil.copy(SNAPSHOT, tmp_path / "catalog/nim-models-data.yaml")
    function_config = _function_config()
    function_config["spec"]["platform"]["catalog"] = {"file": "catalog/nim-models-data.yaml"}
    function_config["spec"]["platform"]["target"] = "redesign"  # renders the catalog's ConfigMap
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yamlio.dump(function_config), "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(_resource_list(function_config))
    assert code == 0, err
    configmap = out["items"][1]
    assert configmap["kind"] == "ConfigMap"
    snapshot = yamlio.load_one(SNAPSHOT.read_text("utf-8"), str(SNAPSHOT))
    assert sorted(configmap["data"]) == sorted(snapshot["data"])
    assert out["items"][1:] == _rendered(config_file)


def test_catalog_outside_the_kustomization_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    function_config = _function_config()
    function_config["spec"]["platform"]["catalog"] = {"file": "../catalog.yaml"}
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(_resource_list(function_config))
    assert code == 1
    assert "outside" in out["results"][0]["message"]


def test_warnings_become_warning_results() -> None:
    config = EXAMPLES / "air-gapped/nim-gitops.yaml"
    function_config = copy.deepcopy(_function_config(config))
    function_config["spec"]["secrets"] = {"provider": "vault"}
    code, out, err = _run(_resource_list(function_config))
    assert code == 0, err
    assert [r["severity"] for r in out["results"]] == ["warning"]
    assert "spec.airGap is set" in out["results"][0]["message"]
    assert "warning:" in err


def test_legacy_mode_streams_what_render_produces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(QUICKSTART.parent)
    result = run_cli(["krm", str(QUICKSTART)])
    assert result.code == 0, result.err
    assert yamlio.load_all(result.out, "krm") == _rendered(QUICKSTART)


def test_legacy_mode_error_exits_1_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "cfg.yaml"
    bad.write_text(QUICKSTART.read_text("utf-8").replace("tag: 1.15.5", "tag: 9.9.9"), "utf-8")
    result = run_cli(["krm", str(bad)])
    assert result.code == 1
    assert result.out == ""
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "9.9.9" in text)
    assert f"{bad}:{line} spec.projects[0].deployments[0].tag" in result.err


@pytest.mark.parametrize(("metadata", "name"), [("{name: x}", "x"), ("plain", "?")])
def test_legacy_mode_under_kustomize_names_the_kustomization(tmp_path: Path, metadata: str,
                                                             name: str) -> None:
    bad = tmp_path / "kust-plugin-config-123"
    bad.write_text("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOps\n"
                   f"metadata: {metadata}\nspec: {{bogus: 1}}\n", "utf-8")
    result = run_cli(["krm", str(bad)], env={"KUSTOMIZE_PLUGIN_CONFIG_ROOT": "/repo/k"})
    assert result.code == 1
    assert f"NimGitOps {name} (generator of /repo/k)" in result.err
    assert str(bad) not in result.err


def test_function_imports_no_network_or_validation_stack() -> None:
    """Argo CD runs the function on every refresh: it must not load what it does not use."""
    code = (
        "import sys, json\n"
        "from generator.cli import main\n"
        "rc = main(['krm'])\n"
        "heavy = ['httpx', 'tenacity', 'kubernetes_validate', 'ruamel',\n"
        "         'generator.airgap.registry']\n"
        "print(json.dumps([rc, [m for m in heavy if m in sys.modules]]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], input=_resource_list(_function_config()),
                          capture_output=True, text=True, check=False, cwd=QUICKSTART.parent)
    rc, loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert rc == 0, proc.stderr
    assert loaded == []
    assert "ResourceList" in proc.stdout
