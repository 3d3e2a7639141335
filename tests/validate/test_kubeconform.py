"""`--kubeconform`: not installed here, so a stand-in prints kubeconform's JSON output."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from generator import yamlio
from tests.helpers import run_cli

PVC = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
       "metadata": {"name": "cache", "namespace": "team-a"},
       "spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "50Gi"}}}}
# records its arguments; answers with $FAKE_STATUS for every file it is given, the way
# `kubeconform -output json` reports (only resources that are not valid are listed)
FAKE = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_ARGS"], "w") as out:
    json.dump(args, out)
status = os.environ.get("FAKE_STATUS", "statusValid")
if status == "garbage":
    print("panic: something went wrong"); sys.exit(2)
files = [a for i, a in enumerate(args) if not a.startswith("-")
         and not args[i - 1].startswith("-")]
resources = [] if status == "statusValid" else [{{
    "filename": f, "kind": "PersistentVolumeClaim", "name": "cache", "version": "v1",
    "status": status, "msg": "problem validating schema",
    "validationErrors": [{{"path": "/spec/resources/requests/storage",
                          "msg": "expected quantity"}}] if status == "statusInvalid" else [],
}} for f in files]
print(json.dumps({{"resources": resources, "summary": {{}}}}, indent=2))
sys.exit(1 if resources else 0)
"""


@pytest.fixture
def fake_kubeconform(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH starts with the stand-in kubeconform."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubeconform"
    script.write_text(FAKE.format(python=sys.executable), "utf-8")
    script.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_ARGS": str(tmp_path / "args.json")}


def test_not_on_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["validate", "--kubeconform", "-"], input=yamlio.dump_all([PVC]),
                     env={"PATH": str(tmp_path)})
    assert result.code == 2
    assert "kubeconform is not on PATH" in result.err


def test_runs_with_the_same_locations_and_flags(fake_kubeconform: dict[str, str],
                                                crd_schemas: str, tmp_path: Path) -> None:
    manifest = tmp_path / "pvc.yaml"
    manifest.write_text(yamlio.dump(PVC), "utf-8")
    url = "https://example.com/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    result = run_cli(["validate", "--kubeconform", "--strict", "--ignore-missing-schemas",
                      "--kubernetes-version", "1.32", "--schema-location", crd_schemas,
                      "--schema-location", url, str(manifest)], env=fake_kubeconform)
    assert result.code == 0, result.out + result.err
    args = json.loads(Path(fake_kubeconform["FAKE_ARGS"]).read_text())
    locations = [args[i + 1] for i, a in enumerate(args) if a == "-schema-location"]
    assert locations == [
        crd_schemas + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
        url, "default"]
    assert {"-strict", "-ignore-missing-schemas", "-output"} <= set(args)
    assert args[args.index("-kubernetes-version") + 1] == "1.32"
    assert args[-1] == str(manifest)


def test_invalid_verdicts_are_merged(fake_kubeconform: dict[str, str]) -> None:
    env = {**fake_kubeconform, "FAKE_STATUS": "statusInvalid"}
    result = run_cli(["validate", "--kubeconform", "-"], input=yamlio.dump_all([PVC]), env=env)
    assert result.code == 1
    assert result.out.splitlines() == [
        "<stdin> PersistentVolumeClaim/team-a/cache is invalid",
        "  document 0 $.spec.resources.requests.storage: kubeconform: expected quantity "
        "[kubeconform]",
        "1 resources, 0 valid, 1 invalid, 0 errors, 0 skipped"]


def test_error_verdicts_are_merged(fake_kubeconform: dict[str, str]) -> None:
    env = {**fake_kubeconform, "FAKE_STATUS": "statusError"}
    result = run_cli(["validate", "--kubeconform", "-o", "json", "-"],
                     input=yamlio.dump_all([PVC]), env=env)
    assert result.code == 1
    (resource,) = json.loads(result.out)["resources"]
    assert resource["status"] == "error"
    assert resource["findings"][0]["rule"] == "kubeconform"


def test_unreadable_output_fails(fake_kubeconform: dict[str, str]) -> None:
    env = {**fake_kubeconform, "FAKE_STATUS": "garbage"}
    result = run_cli(["validate", "--kubeconform", "-"], input=yamlio.dump_all([PVC]), env=env)
    assert result.code == 1
    assert "did not print its JSON output: panic: something went wrong" in result.err


def test_kustomize_output_is_given_to_kubeconform_as_a_file(
        fake_kubeconform: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [pvc.yaml]\n", "utf-8")
    (tmp_path / "pvc.yaml").write_text(yamlio.dump(PVC), "utf-8")
    env = {**fake_kubeconform, "FAKE_STATUS": "statusInvalid"}
    result = run_cli(["validate", "--kubeconform", "--kustomize", str(tmp_path)], env=env)
    assert result.code == 1
    assert result.out.startswith(f"kustomize:{tmp_path} PersistentVolumeClaim/team-a/cache")
