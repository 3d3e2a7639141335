"""`nim-gitops plan` against a real Git history: each change a team makes (add, remove, tag
change, key rotation, team removal) in text, Markdown and JSON against goldens, plus what each
report must say. UPDATE_GOLDEN=1 rewrites the goldens (review the diff)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from generator.schemas import __file__ as schemas_init
from tests.helpers import run_cli
from tests.plan.conftest import CONFIG

GOLDEN = Path(__file__).parent / "golden"
EXTENSION = {"text": "txt", "markdown": "md", "json": "json"}
CASES = [("add", "base"), ("remove", "add"), ("tag-change", "remove"),
         ("rotation", "tag-change"), ("team-removal", "rotation")]
Checkout = Callable[[str], Path]


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads((Path(schemas_init).parent / "plan.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def plan_json(at: Checkout, case: str, base: str, *extra: str) -> dict[str, Any]:
    at(case)
    result = run_cli(["plan", CONFIG, "--base", base, "--format", "json", *extra])
    assert result.code == 0, result.err
    doc: dict[str, Any] = json.loads(result.out)
    validator().validate(doc)
    return doc


@pytest.mark.parametrize("fmt", list(EXTENSION))
@pytest.mark.parametrize(("case", "base"), CASES)
def test_golden(at: Checkout, case: str, base: str, fmt: str) -> None:
    at(case)
    result = run_cli(["plan", CONFIG, "--base", base, "--format", fmt])
    assert result.code == 0, result.err
    if fmt == "json":
        validator().validate(json.loads(result.out))
    golden = GOLDEN / f"{case}.{EXTENSION[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.out, "utf-8")
    assert result.out == golden.read_text("utf-8")


def test_add_names_the_deployment_its_gpus_image_bytes_and_weights(at: Checkout) -> None:
    doc = plan_json(at, "add", "base")
    assert [(d["project"], d["name"], d["status"]) for d in doc["deployments"]] == [
        ("team-b", "rerank", "added")]
    assert doc["projects"][1] == {"name": "team-b",
                                  "gpus": {"base": 2, "head": 3, "delta": 1, "surge": 0}}
    # 1.8.0 is the latest tag the extended details describe: its amd64 size is known
    assert doc["pulls"]["images"] == [{
        "image": "nvcr.io/nim/nvidia/llama-3.2-nv-rerankqa-1b-v2:1.8.0",
        "deployments": ["team-b/rerank"], "bytes": 4_294_967_296}]
    assert [(w["name"], w["source"], w["why"]) for w in doc["downloads"]] == [
        ("rerank", "NGC", "new cache")]
    assert doc["restarts"] == [] and doc["prunes"] == []


def test_remove_prunes_the_deployments_objects_but_no_namespace(at: Checkout) -> None:
    doc = plan_json(at, "remove", "add")
    assert [(d["name"], d["status"]) for d in doc["deployments"]] == [("embed", "removed")]
    pruned = {(p["kind"], p["name"]) for p in doc["prunes"]}
    assert {("InferenceService", "embed"), ("ServingRuntime", "embed"),
            ("PersistentVolumeClaim", "embed-cache")} <= pruned
    assert not any(p["kind"] == "Namespace" for p in doc["prunes"])
    assert doc["summary"]["gpus"]["delta"] == -1


def test_a_tag_change_restarts_the_predictor_with_the_surge_it_needs(at: Checkout) -> None:
    doc = plan_json(at, "tag-change", "remove")
    (change,) = doc["deployments"]
    assert change["fields"] == [{"field": "tag", "old": "1.15.4", "new": "1.15.5"}]
    # 2 replicas, KServe's maxSurge 25% rounded up: 1 extra pod of 1 GPU
    assert doc["restarts"] == [{
        "project": "team-a", "name": "llama-8b", "workload": "Deployment llama-8b-predictor",
        "reasons": ["tag 1.15.4 -> 1.15.5"], "replicas": 2, "gpusPerPod": 1, "surge": 1,
        "unavailable": 0, "surgeGpus": 1}]
    assert doc["pulls"]["bytes"] == 9_663_676_416
    assert doc["summary"]["gpus"] == {"base": 5, "head": 5, "delta": 0, "surge": 1}


def test_a_key_rotation_restarts_every_reader_of_the_key(at: Checkout) -> None:
    doc = plan_json(at, "rotation", "tag-change")
    assert [(r["name"], r["reasons"]) for r in doc["restarts"]] == [
        ("llama-8b", ["key revision unset -> 1"])]
    assert doc["pulls"]["images"] == [] and doc["downloads"] == []


def test_removing_a_team_prunes_its_namespace_loudly(at: Checkout) -> None:
    doc = plan_json(at, "team-removal", "rotation")
    assert {"kind": "Namespace", "namespace": None, "name": "team-b"} in doc["prunes"]
    danger = [f for f in doc["findings"] if f["severity"] == "danger"]
    assert [f["kind"] for f in danger] == ["namespace-pruned"]
    assert danger[0]["message"] == (
        "managed Namespace team-b is no longer rendered: Argo CD or Flux will delete it and "
        "everything in it; to keep it, annotate it on the cluster with "
        "argocd.argoproj.io/sync-options=Prune=false (Argo CD) or "
        "kustomize.toolkit.fluxcd.io/prune=disabled (Flux) before this syncs, or keep project "
        "team-b in the config")
    text = run_cli(["plan", CONFIG, "--base", "rotation"]).out.splitlines()
    assert "  !!! Namespace team-b" in text


def test_the_positional_argument_and_c_are_the_same(at: Checkout) -> None:
    at("add")
    one = run_cli(["plan", CONFIG, "--base", "base"])
    other = run_cli(["plan", "-c", CONFIG, "--base", "base"])
    assert one.code == other.code == 0 and one.out == other.out


def test_default_base_is_head_and_nothing_changed(at: Checkout) -> None:
    doc = plan_json(at, "rotation", "HEAD")
    assert doc["deployments"] == doc["restarts"] == doc["prunes"] == []
    assert doc["objects"] == {"added": [], "changed": [], "removed": []}


def test_a_config_missing_at_the_base_is_all_added(at: Checkout, history: Path) -> None:
    at("base")
    first = run_cli(["plan", CONFIG, "--base", "base", "--format", "json"])
    assert first.code == 0
    (history / "sub").mkdir(exist_ok=True)
    (history / "sub" / CONFIG).write_text((history / CONFIG).read_text("utf-8").replace(
        "file: nim-models-data.yaml", "file: ../nim-models-data.yaml"), "utf-8")
    result = run_cli(["plan", f"sub/{CONFIG}", "--base", "base", "--format", "json"])
    (history / "sub" / CONFIG).unlink()
    (history / "sub").rmdir()
    assert result.code in (0, 1), result.err


def test_only_new_rule_findings_are_reported(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A floating tag breaks NIM004 (docs/rules.md): reported when the change brings it, not
    when the base already had it."""
    from tests.plan.conftest import BASE, commit, git

    plain = BASE.replace("    catalog:\n      file: nim-models-data.yaml\n"
                         "      extended: nim-models-details.json\n", "")
    floating = plain.replace("      tag: 1.10.1\n",
                             '      tag: "1.10"\n      allowFloatingTags: true\n')
    git(tmp_path, "init", "-q")
    commit(tmp_path, "pinned", plain)
    commit(tmp_path, "floating", floating)
    monkeypatch.chdir(tmp_path)
    doc = json.loads(run_cli(["plan", CONFIG, "--base", "pinned", "--format", "json"]).out)
    rules = [f for f in doc["findings"] if f["kind"].startswith("rule ")]
    assert rules == [{
        "kind": "rule NIM004", "severity": "warning", "project": "team-a",
        "message": "NIM004 ServingRuntime team-a/embed $.spec.containers[0].image: NIM image "
                   "'nvcr.io/nim/nvidia/nv-embedqa-e5-v5:1.10' uses the floating tag '1.10'; "
                   "pin a release (x.y.z) or a digest"}]
    (tmp_path / CONFIG).write_text(floating.replace("replicas: 2", "replicas: 3"), "utf-8")
    again = json.loads(run_cli(["plan", CONFIG, "--base", "floating", "--format", "json"]).out)
    assert not [f for f in again["findings"] if f["kind"].startswith("rule ")]
