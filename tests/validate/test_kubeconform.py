"""`validate --kubeconform` with the real kubeconform (v0.6.x or v0.7.x, `$KUBECONFORM` or on
PATH); these tests carry the `kubeconform` marker and are skipped where there is none.

Each of the three bugs a stand-in script hid has its test here: the Kubernetes version
kubeconform refused, core schemas in a plain local directory, and findings attached by name
without the namespace. One stand-in remains, for output kubeconform never prints itself.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.validate.tools import Kubeconform
from tests.helpers import run_cli

PVC: dict[str, Any] = {
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "cache", "namespace": "team-a"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}
DASHBOARD: dict[str, Any] = {
    "apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
    "metadata": {"name": "odh-dashboard-config", "namespace": "redhat-ods-applications"},
    "spec": {"nimConfig": {"disconnected": {"disableKeyCollection": True}}}}
# a proxy nothing listens on: any download would fail the run
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}


@pytest.fixture
def env(kubeconform_binary: Kubeconform) -> dict[str, str]:
    """KUBECONFORM naming the kubeconform found, and no way to the network."""
    return {"KUBECONFORM": kubeconform_binary.path, **OFFLINE}


def _json(args: list[str], env: dict[str, str], objects: list[Any]) -> tuple[int, Any]:
    result = run_cli(["validate", "--kubeconform", "-o", "json", *args, "-"],
                     input=yamlio.dump_all(objects), env=env)
    try:
        return result.code, json.loads(result.out)
    except ValueError:
        raise AssertionError(result.out + result.err) from None


def _kubeconform_findings(resource: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in resource["findings"] if f["rule"] == "kubeconform"]


def test_not_on_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["validate", "--kubeconform", "-"], input=yamlio.dump_all([PVC]),
                     env={"PATH": str(tmp_path), "KUBECONFORM": ""})
    assert result.code == 2
    assert "kubeconform is not on PATH" in result.err


@pytest.mark.kubeconform
@pytest.mark.parametrize("version", [None, "1.33", "1.32", "1.33.0"])
def test_valid_input_passes_with_any_accepted_version(env: dict[str, str],
                                                      version: str | None) -> None:
    """kubeconform wants x.y.z; validate takes MAJOR.MINOR too and passes the full version."""
    args = ["--strict"] + (["--kubernetes-version", version] if version else [])
    code, data = _json(args, env, [PVC])
    assert code == 0, data
    assert data["summary"] == {"resources": 1, "valid": 1, "invalid": 0, "errors": 0,
                               "skipped": 0}


@pytest.mark.kubeconform
def test_core_kinds_come_from_a_plain_local_directory(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    """A directory in kubeconform's standalone layout is searched for core kinds; this one's
    PVC schema demands a field the real one does not, so only kubeconform can complain."""
    folder = tmp_path / "v1.33.0-standalone-strict"
    folder.mkdir()
    (folder / "persistentvolumeclaim-v1.json").write_text(json.dumps(
        {"type": "object", "required": ["marker"]}), "utf-8")
    code, data = _json(["--strict", "--schema-location", str(tmp_path)], env, [PVC])
    assert code == 1
    (resource,) = data["resources"]
    (finding,) = resource["findings"]
    assert finding["rule"] == "kubeconform" and "marker" in finding["message"]


@pytest.mark.kubeconform
def test_findings_land_on_the_resource_with_the_same_namespace(env: dict[str, str]) -> None:
    """Two ConfigMaps share a name in one file; only the second (team-b) is invalid."""
    good = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "models", "namespace": "team-a"}, "data": {"a": "b"}}
    bad = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "models", "namespace": "team-b"}, "data": {"a": "b"},
           "extra": True}
    code, data = _json(["--strict"], env, [good, bad])
    assert code == 1
    (resource,) = data["resources"]
    assert (resource["namespace"], resource["document"]) == ("team-b", 1)
    assert _kubeconform_findings(resource)
    assert data["summary"]["invalid"] == 1 and data["summary"]["valid"] == 1


@pytest.mark.kubeconform
def test_invalid_verdicts_are_merged(env: dict[str, str]) -> None:
    broken = {**PVC, "spec": {**PVC["spec"], "storageClass": "fast"}}
    result = run_cli(["validate", "--kubeconform", "--strict", "-"],
                     input=yamlio.dump_all([broken]), env=env)
    assert result.code == 1
    assert "$.spec: kubeconform: " in result.out and "storageClass" in result.out
    assert result.out.splitlines()[-1] == "1 resources, 0 valid, 1 invalid, 0 errors, 0 skipped"


@pytest.mark.kubeconform
def test_missing_schema_is_an_error_from_both(env: dict[str, str]) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    code, data = _json([], env, [widget])
    assert code == 1
    (resource,) = data["resources"]
    assert resource["status"] == "error"
    assert {f["rule"] for f in resource["findings"]} == {"error", "kubeconform"}
    code, data = _json(["--ignore-missing-schemas"], env, [widget])
    assert code == 0, data


@pytest.mark.kubeconform
def test_kustomize_output_is_given_to_kubeconform_as_a_file(env: dict[str, str],
                                                            tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [pvc.yaml]\n", "utf-8")
    broken = {**PVC, "spec": {**PVC["spec"], "storageClass": "fast"}}
    (tmp_path / "pvc.yaml").write_text(yamlio.dump(broken), "utf-8")
    result = run_cli(["validate", "--kubeconform", "--strict", "--kustomize", str(tmp_path)],
                     env=env)
    assert result.code == 1
    assert result.out.startswith(f"kustomize:{tmp_path} PersistentVolumeClaim/team-a/cache")
    assert "[kubeconform]" in result.out


@pytest.mark.kubeconform
def test_proposed_field_follows_the_target(env: dict[str, str], crd_schemas: str) -> None:
    """Against the installed CRD both tools reject nimConfig; with the redesign target both
    accept it (kubeconform gets the same amended schema) and the report says so."""
    args = ["--strict", "--schema-location", crd_schemas]
    code, data = _json(args, env, [DASHBOARD])
    assert code == 1
    (resource,) = data["resources"]
    assert {f["rule"] for f in resource["findings"]} == {"schema", "kubeconform"}
    code, data = _json([*args, "--target", "redesign"], env, [DASHBOARD])
    assert code == 0, data
    (resource,) = data["resources"]
    assert resource["status"] == "valid" and resource["findings"] == []
    assert resource["notes"] == [{"path": "$.spec.nimConfig", "rule": "proposed",
                                  "message": "spec.nimConfig: proposed field, not in the "
                                             "installed CRD"}]


# Stand-in for the one case the real binary does not produce on demand: output that is not
# its JSON (a crash). It gives an accepted version to -v, then prints a panic and exits 2.
GARBAGE = """#!{python}
import sys
if sys.argv[1:] == ["-v"]:
    print("v0.7.0")
    raise SystemExit(0)
print("panic: something went wrong")
raise SystemExit(2)
"""


def test_unreadable_output_fails(tmp_path: Path) -> None:
    script = tmp_path / "kubeconform"
    script.write_text(GARBAGE.format(python=sys.executable), "utf-8")
    script.chmod(0o755)
    result = run_cli(["validate", "--kubeconform", "-"], input=yamlio.dump_all([PVC]),
                     env={"PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}",
                          "KUBECONFORM": ""})
    assert result.code == 1
    assert "did not print its JSON output: panic: something went wrong" in result.err
