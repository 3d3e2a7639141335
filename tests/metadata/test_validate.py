"""`metadata validate`: the shipped schema per ConfigMap and per entry, plus the contract rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import ModelEntry, configmap_yaml
from tests.helpers import SNAPSHOT, run_cli
from tests.metadata.conftest import entry


def _write(path: Path, *docs: dict[str, Any]) -> Path:
    path.write_text(configmap_yaml([ModelEntry.from_json_dict(d) for d in docs]), "utf-8")
    return path


def _raw(path: Path, data: dict[str, str]) -> Path:
    """A ConfigMap with these raw values (JSON text), written without the generator."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: nim-models-data",
             "data:"]
    lines += [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items()]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_the_snapshot_passes() -> None:
    result = run_cli(["metadata", "validate", str(SNAPSHOT)])
    assert result.code == 0, result.err
    assert result.out == f"ok {SNAPSHOT} (186 models)\n"
    assert result.err == ""


def test_a_generated_file_passes(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.yaml", entry("alpha"), entry("beta", "nim/nvidia"))
    result = run_cli(["metadata", "validate", str(good), str(SNAPSHOT)])
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"ok {good} (2 models)", f"ok {SNAPSHOT} (186 models)"]


def _doc(**changes: Any) -> dict[str, Any]:
    doc = entry("alpha")
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


@pytest.mark.parametrize(("key", "doc", "field", "message"), [
    ("alpha", _doc(name="beta"), "data.alpha.name", "name 'beta' differs from its key 'alpha'"),
    ("alpha", _doc(latestTag="9.9.9"), "data.alpha.latestTag",
     "latestTag '9.9.9' is not among the tags"),
    # where jsonschema words the message, only the field it names is pinned
    ("alpha", _doc(euRestricted="no"), "data.alpha.euRestricted", ""),
    ("alpha", _doc(tags="1.0.0"), "data.alpha.tags", ""),
    ("alpha", _doc(tags=["1.0.0", "1.0.0"]), "data.alpha.tags", ""),
    ("alpha", _doc(updatedDate="yesterday"), "data.alpha.updatedDate", ""),
    ("alpha", _doc(namespace="NIM META"), "data.alpha.namespace", ""),
    ("alpha", _doc(displayName=None), "data.alpha", "displayName"),
    ("alpha", _doc(digest="sha256:0"), "data.alpha", "digest"),
    ("meta/alpha", _doc(name="meta/alpha"), "data.meta/alpha",
     "key 'meta/alpha' is not a valid ConfigMap key"),
    ("alpha", "[1, 2", "data.alpha", "value is not JSON"),
    ("alpha", ["a list"], "data.alpha", ""),
], ids=["name-vs-key", "latest-not-in-tags", "eu-flag-type", "tags-type", "duplicate-tags",
        "date", "namespace", "missing-field", "unknown-field", "key-pattern", "not-json",
        "not-object"])
def test_entry_errors_name_the_file_key_and_field(tmp_path: Path, key: str, doc: Any,
                                                  field: str, message: str) -> None:
    value = doc if isinstance(doc, str) else json.dumps(doc)
    path = _raw(tmp_path / "bad.yaml", {"zeta": json.dumps(entry("zeta")), key: value})
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert errors[-1] == "error: 1 error in 1 file"
    [finding] = errors[:-1]
    assert finding.startswith(f"error: {path}:7 {field}: "), finding
    assert message in finding
    assert result.out == ""


def test_configmap_level_errors(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v2\nkind: Secret\nmetadata: {}\ndata:\n  alpha: 7\n")
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 1
    # one finding per field, each naming file, line and field (jsonschema words the rest)
    findings = [line for line in result.err.splitlines() if line.startswith("error: ")][:-1]
    assert len(findings) == 4, result.err
    for prefix in (f"{path}:1 apiVersion: ", f"{path}:2 kind: ", f"{path}:3 metadata: ",
                   f"{path}:5 data.alpha: "):
        assert any(line.startswith(f"error: {prefix}") for line in findings), (prefix, findings)
    assert "name" in next(line for line in findings if " metadata: " in line)


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("data: [unclosed\n", ""),
    ("- just\n- a list\n", ""),
])
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 1
    assert str(path) in result.err and message in result.err
    assert "Traceback" not in result.err


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run_cli(["metadata", "validate", str(tmp_path / "nope.yaml")])
    assert result.code == 1 and "nope.yaml" in result.err


def _big(tmp_path: Path, count: int, description: int) -> Path:
    docs = [entry(f"model-{i:03d}", shortDescription="x" * description) for i in range(count)]
    return _write(tmp_path / "big.yaml", *docs)


def test_above_250_kb_is_a_warning(tmp_path: Path) -> None:
    path = _big(tmp_path, 60, 5000)  # about 310 KB
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 0, result.err
    assert result.err.startswith(f"warning: {path}: ")
    assert "ServerSideApply=true" in result.err  # what to set
    assert result.out == f"ok {path} (60 models)\n"


def test_1_mib_is_an_error(tmp_path: Path) -> None:
    path = _big(tmp_path, 220, 5000)  # about 1.1 MB
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 1
    assert result.err.startswith(f"error: {path}:7 data: ")  # the file, line and field
    assert "1,048,576 (1 MiB)" in result.err
    assert result.out == ""


def test_errors_in_one_file_do_not_hide_another(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.yaml", entry("alpha"))
    bad = _raw(tmp_path / "bad.yaml", {"alpha": json.dumps(_doc(name="x"))})
    result = run_cli(["metadata", "validate", str(bad), str(good)])
    assert result.code == 1
    assert result.out == f"ok {good} (1 models)\n"
    assert "1 error in 2 files" in result.err
