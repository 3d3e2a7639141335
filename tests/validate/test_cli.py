"""`nim-gitops validate` as a command: inputs, options, output formats and exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import yamlio
from tests.helpers import FAKE_KEY, run_cli

CORPUS = Path(__file__).parent / "corpus"
PVC = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
       "metadata": {"name": "cache", "namespace": "team-a"},
       "spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "50Gi"}}}}
ISVC = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "llama", "namespace": "team-a"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "llama-3.1-8b-instruct"}}}}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
          "metadata": {"name": "ngc-api", "namespace": "team-a"},
          "stringData": {"NGC_API_KEY": FAKE_KEY}}


def _stream(*objects: object) -> str:
    return yamlio.dump_all(objects)


def test_valid_stdin_exits_0_with_a_summary() -> None:
    result = run_cli(["validate", "-"], input=_stream(PVC))
    assert result.code == 0, result.out
    assert result.out == "1 resources, 1 valid, 0 invalid, 0 errors, 0 skipped\n"


def test_invalid_exits_1_and_names_file_document_kind_name_and_path() -> None:
    broken = {**PVC, "spec": {**PVC["spec"], "accessModes": "ReadWriteOnce"}}
    result = run_cli(["validate", "-"], input=_stream(PVC, broken))
    assert result.code == 1
    header, finding, summary = result.out.splitlines()
    assert header == "<stdin> PersistentVolumeClaim/team-a/cache is invalid"
    assert finding.startswith("  document 1 $.spec.accessModes: ")
    assert finding.endswith("[schema]")
    assert summary == "2 resources, 1 valid, 1 invalid, 0 errors, 0 skipped"


def test_directories_are_walked_recursively(tmp_path: Path) -> None:
    (tmp_path / "a/b").mkdir(parents=True)
    (tmp_path / "a/b/pvc.yaml").write_text(_stream(PVC), "utf-8")
    (tmp_path / "a/pvc.json").write_text(json.dumps(PVC), "utf-8")
    (tmp_path / "a/notes.txt").write_text("not yaml: [", "utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden/bad.yaml").write_text("kind: [", "utf-8")
    result = run_cli(["validate", str(tmp_path)])
    assert result.code == 0, result.out
    assert result.out.startswith("2 resources, 2 valid")


def test_missing_schema_is_an_error_unless_ignored() -> None:
    result = run_cli(["validate", "-"], input=_stream(ISVC))
    assert result.code == 1
    assert "no schema for serving.kserve.io/v1beta1 InferenceService" in result.out
    assert "1 errors" in result.out
    ignored = run_cli(["validate", "--ignore-missing-schemas", "-"], input=_stream(ISVC))
    assert ignored.code == 0, ignored.out
    assert "1 skipped" in ignored.out


def test_rules_still_apply_to_kinds_without_a_schema() -> None:
    isvc = {**ISVC, "metadata": {"name": "8b", "namespace": "team-a"}}
    result = run_cli(["validate", "--ignore-missing-schemas", "-"], input=_stream(isvc))
    assert result.code == 1
    assert "[NIM007]" in result.out


def test_missing_schema_names_the_places_searched(crd_schemas: str, tmp_path: Path) -> None:
    other = {**ISVC, "apiVersion": "example.com/v1", "kind": "Widget"}
    result = run_cli(["validate", "--schema-location", crd_schemas, "-"],
                     input=_stream(other))
    assert result.code == 1
    assert f"{crd_schemas}/example.com/widget_v1.json" in result.out


def test_strict_rejects_unknown_fields_of_core_kinds() -> None:
    extra = {**PVC, "spec": {**PVC["spec"], "storageClass": "fast"}}
    lenient = run_cli(["validate", "-"], input=_stream(extra))
    assert lenient.code == 0, lenient.out
    strict = run_cli(["validate", "--strict", "-"], input=_stream(extra))
    assert strict.code == 1
    assert "$.spec.storageClass: unknown field 'storageClass' [schema]" in strict.out


def test_duplicate_keys_fail_and_other_documents_are_still_checked() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1, k: 2}\n---\n" \
        + _stream(PVC).removeprefix("---\n")
    result = run_cli(["validate", "--strict", "-"], input=text)
    assert result.code == 1
    assert "duplicate key 'k' (line 4)" in result.out
    assert result.out.splitlines()[-1] == "2 resources, 1 valid, 0 invalid, 1 errors, 0 skipped"


def test_nulls_are_reported_once_with_their_rule() -> None:
    text = _stream(PVC).replace("storage: 50Gi", "storage: 50Gi\n  storageClassName: null")
    result = run_cli(["validate", "-"], input=text)
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "storageClassName" in line]
    assert len(lines) == 1
    assert lines[0].endswith("[NIM010]")


def test_skip_turns_a_rule_off_by_id_or_name() -> None:
    assert run_cli(["validate", "--ignore-missing-schemas", "-"], input=_stream(SECRET)).code == 1
    for args in (["--skip", "NIM001", "--skip", "NIM002"], ["--skip", "no-ngc-key,nim002"]):
        result = run_cli(["validate", *args, "-"], input=_stream(SECRET))
        assert result.code == 0, result.out


def test_skipping_the_null_rule_leaves_the_schema_error() -> None:
    text = _stream(PVC).replace("storage: 50Gi", "storage: 50Gi\n  storageClassName: null")
    result = run_cli(["validate", "--skip", "NIM010", "-"], input=text)
    assert result.code == 0  # the bundled core schemas allow null
    assert "NIM010" not in result.out


def test_findings_never_echo_a_key() -> None:
    broken = {**SECRET, "stringData": {"NGC_API_KEY": 42, "other": FAKE_KEY}}
    result = run_cli(["validate", "--strict", "-o", "json", "-"], input=_stream(broken))
    assert result.code == 1
    assert FAKE_KEY not in result.out + result.err


def test_json_output() -> None:
    broken = {**PVC, "spec": {**PVC["spec"], "accessModes": "ReadWriteOnce"}}
    result = run_cli(["validate", "-o", "json", "-"], input=_stream(PVC, broken))
    assert result.code == 1
    data = json.loads(result.out)
    assert data["summary"] == {"resources": 2, "valid": 1, "invalid": 1, "errors": 0,
                               "skipped": 0}
    (only,) = data["resources"]  # valid resources only with --verbose
    assert (only["filename"], only["document"], only["kind"], only["name"]) == (
        "<stdin>", 1, "PersistentVolumeClaim", "cache")
    assert only["status"] == "invalid"
    assert only["findings"][0]["path"] == "$.spec.accessModes"
    verbose = json.loads(run_cli(["validate", "-o", "json", "-v", "-"],
                                 input=_stream(PVC)).out)
    assert [r["status"] for r in verbose["resources"]] == ["valid"]


def test_junit_output_is_xml_with_failures_and_errors() -> None:
    broken = {**PVC, "spec": {**PVC["spec"], "accessModes": "ReadWriteOnce"}}
    result = run_cli(["validate", "-o", "junit", "-"], input=_stream(PVC, broken, ISVC))
    assert result.code == 1
    root = ET.fromstring(result.out)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == [
        "[0] PersistentVolumeClaim/team-a/cache", "[1] PersistentVolumeClaim/team-a/cache",
        "[2] InferenceService/team-a/llama"]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "schema"
    assert "$.spec.accessModes" in (failure.text or "")
    assert cases[2].find("error") is not None


def test_kustomization_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [pvc.yaml]\n", "utf-8")
    (tmp_path / "pvc.yaml").write_text(_stream(PVC), "utf-8")
    result = run_cli(["validate", str(tmp_path)])
    assert result.code == 0
    assert result.out == "2 resources, 1 valid, 0 invalid, 0 errors, 1 skipped\n"


def test_list_documents_are_expanded() -> None:
    listed = {"apiVersion": "v1", "kind": "List", "items": [PVC, PVC]}
    result = run_cli(["validate", "-"], input=_stream(listed))
    assert result.out.startswith("2 resources, 2 valid")


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    result = run_cli(["validate", str(tmp_path / "missing.yaml")])
    assert result.code == 1
    assert "file not found" in result.out


def test_list_rules() -> None:
    result = run_cli(["validate", "--list-rules"])
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()] == [
        f"NIM{n:03d}" for n in range(1, 15)]


@pytest.mark.parametrize(("args", "message"), [
    ([], "nothing to validate"),
    (["--skip", "NIM999", "-"], "no such rule"),
    (["--kubernetes-version", "banana", "-"], "expected MAJOR.MINOR"),
    (["--kubernetes-version", "1.2", "-"], "bundled schemas cover"),
    (["--schema-location", "/does/not/exist", "-"], "is not a directory"),
    (["--schema-location", "https://x/{{ .Nope }}.json", "-"], "unknown variable .Nope"),
    (["-o", "yaml", "-"], "yaml"),  # the refused value is named (click words the rest)
    (["--kustomize", "/does/not/exist"], "not a directory"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run_cli(["validate", *args], input="")
    assert result.code == 2, result.out + result.err
    assert message in result.err


def test_kustomize_build_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n", "utf-8")
    result = run_cli(["validate", "--kustomize", str(tmp_path)])
    assert result.code == 1
    assert "kubectl kustomize failed" in result.err


def test_corpus_directory_fails_as_a_whole(crd_schemas: str) -> None:
    result = run_cli(["validate", "--strict", "--schema-location", crd_schemas, str(CORPUS)])
    assert result.code == 1
    headers = {line.split()[0] for line in result.out.splitlines() if line.endswith(
        ("is invalid", "could not be checked"))}
    # runtimes are matched across the whole input: other files provide 17's runtime
    alone = CORPUS / "17-isvc-missing-runtime.yaml"
    assert headers == {str(path) for path in CORPUS.glob("*.yaml")} - {str(alone)}


def test_parallel_parsing_gives_the_same_report(tmp_path: Path) -> None:
    from generator.validate import ValidateOptions, validate_paths
    from generator.validate.documents import PARALLEL_MIN_FILES

    for index in range(PARALLEL_MIN_FILES + 5):
        pvc = {**PVC, "metadata": {"name": f"cache-{index}", "namespace": "team-a"}}
        if index % 97 == 0:
            pvc["spec"] = {**PVC["spec"], "accessModes": "ReadWriteOnce"}
        text = "kind: [" if index == 500 else _stream(pvc)
        (tmp_path / f"pvc-{index:05d}.yaml").write_text(text, "utf-8")
    serial = validate_paths([str(tmp_path)], ValidateOptions(jobs=1))
    parallel = validate_paths([str(tmp_path)], ValidateOptions(jobs=2))
    assert list(parallel) == list(serial)
    assert parallel.summary == serial.summary
    assert serial.summary["invalid"] == 11 and serial.summary["errors"] == 1


DASHBOARD = {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
             "metadata": {"name": "odh-dashboard-config", "namespace": "redhat-ods-applications"},
             "spec": {"nimConfig": {"customConfigMap": {"name": "nim-models-data"}}}}
NOTE = "spec.nimConfig: proposed field, not in the installed CRD"


def test_current_target_rejects_the_proposed_field(crd_schemas: str) -> None:
    result = run_cli(["validate", "--strict", "--schema-location", crd_schemas, "-"],
                     input=yamlio.dump(DASHBOARD))
    assert result.code == 1
    assert "$.spec.nimConfig: unknown field 'nimConfig' [schema]" in result.out
    assert NOTE not in result.out


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_redesign_target_states_the_proposed_field_in_every_format(crd_schemas: str,
                                                                   fmt: str) -> None:
    result = run_cli(["validate", "--strict", "--target", "redesign", "--schema-location",
                      crd_schemas, "-o", fmt, "-"], input=yamlio.dump(DASHBOARD))
    assert result.code == 0, result.out
    if fmt == "json":
        (resource,) = json.loads(result.out)["resources"]
        assert resource["status"] == "valid"
        assert [n["message"] for n in resource["notes"]] == [NOTE]
    elif fmt == "junit":
        root = ET.fromstring(result.out)
        (case,) = root.iter("testcase")
        assert case.find("failure") is None
        out = case.find("system-out")
        assert out is not None and NOTE in (out.text or "")
    else:
        assert f"document 0 $.spec.nimConfig: {NOTE} [proposed]" in result.out
        assert result.out.splitlines()[-1] == (
            "accepted with --target redesign, not in the installed CRDs: spec.nimConfig "
            "(1 object)")


def test_unknown_target_is_a_usage_error() -> None:
    result = run_cli(["validate", "--target", "next", "-"], input=yamlio.dump(DASHBOARD))
    assert result.code == 2
    assert result.out == ""


def test_redesign_target_still_checks_the_proposed_field(crd_schemas: str) -> None:
    broken = {**DASHBOARD, "spec": {"nimConfig": {"customConfigMap": {}}}}
    result = run_cli(["validate", "--strict", "--target", "redesign", "--schema-location",
                      crd_schemas, "-"], input=yamlio.dump(broken))
    assert result.code == 1
    assert "$.spec.nimConfig.customConfigMap" in result.out
