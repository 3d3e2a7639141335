"""`nim-gitops schemas build`: CRDs -> kubeconform's layout, converted as openapi2jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.validate import ValidateOptions, validate_objects
from generator.validate.crd import close_objects
from tests.helpers import CRDS, run_cli

CRD_FILES = sorted(CRDS.glob("*.yaml"))


def _served_versions() -> set[str]:
    out = set()
    for path in CRD_FILES:
        crd = yamlio.load_one(path.read_text("utf-8"), str(path))
        spec = crd["spec"]
        for version in spec["versions"]:
            if version.get("schema", {}).get("openAPIV3Schema"):
                out.add(f"{spec['group']}/{spec['names']['kind'].lower()}_{version['name']}.json")
    return out


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.json")}


def _objects(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        if "properties" in node:
            out.append((path, node))
        for key in ("properties", "patternProperties"):
            for name, sub in (node.get(key) or {}).items():
                out += _objects(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            out += _objects(node.get(key), f"{path}[]")
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key) or []:
                out += _objects(sub, path)
    return out


def test_every_crd_version_gets_a_file(crd_schemas: str) -> None:
    assert _files(Path(crd_schemas)) == _served_versions()
    assert "serving.kserve.io/inferenceservice_v1beta1.json" in _files(Path(crd_schemas))


def test_objects_are_closed_except_root_and_preserved(crd_schemas: str) -> None:
    for path in Path(crd_schemas).rglob("*.json"):
        schema = json.loads(path.read_text("utf-8"))
        assert "additionalProperties" not in schema, path  # the root stays open
        for where, node in _objects(schema)[1:]:
            if node.get("x-kubernetes-preserve-unknown-fields") is True:
                continue
            assert "additionalProperties" in node, f"{path} {where}"


def test_int_or_string() -> None:
    converted = close_objects({"type": "object", "properties": {
        "a": {"type": "string", "format": "int-or-string"},
        "b": {"x-kubernetes-int-or-string": True},
        "c": {"anyOf": [{"type": "integer"}, {"type": "string"}],
              "x-kubernetes-int-or-string": True}}}, root=True)
    props = converted["properties"]
    assert props["a"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert props["b"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert props["c"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]


def test_preserve_unknown_fields_stays_open() -> None:
    converted = close_objects({"type": "object", "properties": {
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                 "properties": {"a": {"type": "string"}}},
        "closed": {"type": "object", "properties": {"a": {"type": "string"}}}}}, root=True)
    assert "additionalProperties" not in converted["properties"]["free"]
    assert converted["properties"]["closed"]["additionalProperties"] is False


def test_dashboard_config_is_written_as_the_crd_says(crd_schemas: str) -> None:
    """The installed OdhDashboardConfig CRD has no spec.nimConfig, so neither has its schema."""
    schema = json.loads((Path(crd_schemas) / "opendatahub.io/odhdashboardconfig_v1alpha.json")
                        .read_text("utf-8"))
    spec = schema["properties"]["spec"]
    assert "nimConfig" not in spec["properties"]
    assert spec["additionalProperties"] is False


def test_redesign_target_adds_the_proposed_nimconfig_marked(tmp_path: Path) -> None:
    result = run_cli(["schemas", "build", "--target", "redesign", str(CRDS / "odhdashboardconfigs."
                      "opendatahub.io.yaml"), "-o", str(tmp_path)])
    assert result.code == 0, result.err
    schema = json.loads((tmp_path / "opendatahub.io/odhdashboardconfig_v1alpha.json").read_text())
    nim = schema["properties"]["spec"]["properties"]["nimConfig"]
    assert set(nim["properties"]) == {"customConfigMap", "disconnected"}
    assert nim["additionalProperties"] is False
    assert nim["x-nim-gitops-proposed"] == (
        "spec.nimConfig: proposed field, not in the installed CRD")
    # validate still names the field, and refuses it for today's platform
    obj = {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
           "metadata": {"name": "odh-dashboard-config"},
           "spec": {"nimConfig": {"disconnected": {"disableKeyCollection": True}}}}
    redesign = validate_objects([obj], ValidateOptions(schema_locations=(str(tmp_path),),
                                                       strict=True, target="redesign"))
    assert redesign.ok
    assert [n.message for _, n in redesign.notes()] == [
        "spec.nimConfig: proposed field, not in the installed CRD"]
    current = validate_objects([obj], ValidateOptions(schema_locations=(str(tmp_path),),
                                                      strict=True))
    assert not current.ok
    assert [(f.path, f.rule) for _, f in current.problems()] == [("$.spec.nimConfig", "schema")]


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["schemas", "build", "--target", "future", str(CRDS), "-o", str(tmp_path)])
    assert result.code == 2
    assert not tmp_path.joinpath("opendatahub.io").exists()


def test_kubectl_get_crd_list_on_stdin(crd_schemas: str, tmp_path: Path) -> None:
    items = [yamlio.load_one(p.read_text("utf-8"), str(p)) for p in CRD_FILES]
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    out = tmp_path / "from-stdin"
    result = run_cli(["schemas", "build", "-", "-o", str(out)], input=listed)
    assert result.code == 0, result.err
    assert _files(out) == _files(Path(crd_schemas))
    for name in _files(out):
        assert (out / name).read_bytes() == (Path(crd_schemas) / name).read_bytes(), name


def test_open_flavour(tmp_path: Path) -> None:
    result = run_cli(["schemas", "build", "--open", str(CRDS / "serving.kserve.io_"
                      "servingruntimes.yaml"), "-o", str(tmp_path)])
    assert result.code == 0, result.err
    text = (tmp_path / "serving.kserve.io/servingruntime_v1alpha1.json").read_text()
    assert '"additionalProperties": false' not in text


def test_filename_format(tmp_path: Path) -> None:
    result = run_cli(["schemas", "build", "--filename-format", "{kind}-{group}-{version}",
                      str(CRDS / "serving.kserve.io_inferenceservices.yaml"), "-o",
                      str(tmp_path)])
    assert result.code == 0, result.err
    assert _files(tmp_path) == {"inferenceservice-serving-v1beta1.json"}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--filename-format", "{nope}"], 2, "--filename-format"),
    (["--filename-format", "../{kind}"], 2, "inside the output directory"),
])
def test_bad_filename_format(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    result = run_cli(["schemas", "build", *args, str(CRD_FILES[0]), "-o", str(tmp_path)])
    assert result.code == code
    assert message in result.err


def test_colliding_names_are_refused(tmp_path: Path) -> None:
    result = run_cli(["schemas", "build", "--filename-format", "{kind}", str(CRDS / "external-"
                      "secrets.io_externalsecrets.yaml"), "-o", str(tmp_path)])
    assert result.code == 1
    assert "both map to" in result.err


def test_not_a_crd(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = run_cli(["schemas", "build", str(tmp_path / "cm.yaml"), "-o", str(tmp_path / "o")])
    assert result.code == 1
    assert "not a CustomResourceDefinition" in result.err
    assert run_cli(["schemas", "build", "-o", str(tmp_path)]).code == 2


def test_template_location_finds_the_same_schemas(crd_schemas: str) -> None:
    """kubeconform's own template for this layout works like the plain directory."""
    broken = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
              "metadata": {"name": "llama"}, "spec": {"predictor": {"modell": {}}}}
    template = crd_schemas + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    by_dir = list(validate_objects([broken], ValidateOptions(schema_locations=(crd_schemas,))))
    by_template = list(validate_objects([broken], ValidateOptions(schema_locations=(template,))))
    assert by_dir == by_template
    assert any("$.spec.predictor.modell" in line for line in by_dir)
