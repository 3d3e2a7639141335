"""The committed chart is fresh, well-formed, lints strictly and follows the Helm rules."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.support import helm, write_values
from tests.helpers import EXAMPLES, REPO, run_cli

COMMITTED = REPO / "charts" / "nim-gitops"
EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_chart_is_up_to_date(tmp_path: Path) -> None:
    """Regenerate from the sources and compare byte for byte (run `make chart` to fix)."""
    fresh = tmp_path / "nim-gitops"
    assert run_cli(["chart", "-o", str(fresh)]).code == 0
    committed, generated = _tree(COMMITTED), _tree(fresh)
    assert sorted(committed) == sorted(generated), "files differ: run `make chart`"
    stale = [rel for rel in generated if committed[rel] != generated[rel]]
    assert stale == [], f"out of date with its sources: {stale}; run `make chart`"


def test_check_mode_reports_drift(tmp_path: Path) -> None:
    out = tmp_path / "nim-gitops"
    assert run_cli(["chart", "-o", str(out)]).code == 0
    assert run_cli(["chart", "-o", str(out), "--check"]).code == 0
    (out / "values.yaml").write_text("changed\n", "utf-8")
    (out / "templates" / "NOTES.txt").unlink()
    (out / "templates" / "mine.yaml").write_text("x: 1\n", "utf-8")
    result = run_cli(["chart", "-o", str(out), "--check"])
    assert result.code == 1
    lines = result.err.splitlines()
    assert "  changed: values.yaml" in lines and "  missing: templates/NOTES.txt" in lines
    assert f"nim-gitops chart -o {out} --force" in lines[0], "the fixing command is named"
    assert "mine.yaml" not in result.err, "a file the chart never wrote is not stale"
    refused = run_cli(["chart", "-o", str(out)])
    assert refused.code == 1 and "values.yaml" in refused.err and "--force" in refused.err
    assert (out / "values.yaml").read_text("utf-8") == "changed\n"
    assert not (out / "templates" / "NOTES.txt").exists(), "a refused write writes nothing"
    assert run_cli(["chart", "-o", str(out), "--force"]).code == 0
    assert run_cli(["chart", "-o", str(out), "--check"]).code == 0
    assert (out / "templates" / "mine.yaml").read_text("utf-8") == "x: 1\n"


def test_writes_beside_unrelated_files_and_keeps_them(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", "utf-8")
    result = run_cli(["chart", "-o", str(tmp_path)])
    assert result.code == 0, result.err
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine\n"
    assert (tmp_path / "Chart.yaml").is_file()


def test_helm_package_leaves_out_the_file_list(tmp_path: Path) -> None:
    helm("package", str(COMMITTED), "-d", str(tmp_path))
    with tarfile.open(next(tmp_path.glob("nim-gitops-*.tgz"))) as archive:
        names = archive.getnames()
    assert "nim-gitops/Chart.yaml" in names
    assert not [n for n in names if n.endswith(".nim-gitops-files")]


def test_generation_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run_cli(["chart", "-o", str(tmp_path / name)]).code == 0
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_chart_metadata() -> None:
    text = (COMMITTED / "Chart.yaml").read_text("utf-8")
    meta = yaml.safe_load(text)
    assert meta["apiVersion"] == "v2" and meta["name"] == "nim-gitops"
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", meta["version"])
    assert re.search(r'^appVersion: "[^"]+"$', text, re.M), "appVersion must be quoted"
    for name in (".helmignore", "templates/_helpers.tpl", "templates/NOTES.txt",
                 "values.schema.json", "files/catalog.json"):
        assert (COMMITTED / name).is_file(), name


def test_no_lookup_no_randomness_no_remote_refs() -> None:
    """Argo CD only runs `helm template`: lookup and random functions would cause drift."""
    for path in (COMMITTED / "templates").iterdir():
        text = path.read_text("utf-8")
        for word in ("lookup", "randAlpha", "randNumeric", "randAscii", "randAlphaNum",
                     "randBytes", "uuidv4", "genPrivateKey", "genCA", "now"):
            assert not re.search(rf"\b{word}\b", text), f"{path.name} uses {word}"
    schema_text = (COMMITTED / "values.schema.json").read_text("utf-8")
    assert "http://" not in schema_text and "https://" not in schema_text
    refs = re.findall(r'"\$ref": "([^"]+)"', schema_text)
    assert refs and all(ref.startswith("#/$defs/") for ref in refs)


def test_no_jinja_left_in_the_chart() -> None:
    for path in COMMITTED.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8")
            assert "[[" not in text.replace('"[[', "") and "[[%" not in text, path


def _defaults(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Every property default reachable through objects (not through arrays)."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    found: dict[str, Any] = {}
    for name, prop in node.get("properties", {}).items():
        target = schema["$defs"][prop["$ref"].split("/")[-1]] if "$ref" in prop else prop
        if "default" in prop:
            found[name] = prop["default"]
        elif target.get("type") == "object" and "required" not in target:
            inner = _defaults(schema, target)
            if inner:
                found[name] = inner
    return found


def test_values_yaml_is_exactly_the_schema_defaults() -> None:
    """values.yaml = the defaults of the config's spec, nothing more, nothing less."""
    schema = json.loads((COMMITTED / "values.schema.json").read_text("utf-8"))
    values = yaml.safe_load((COMMITTED / "values.yaml").read_text("utf-8"))
    assert values == _defaults(schema, schema)


def test_default_values_lint_strict(chart_dir: Path) -> None:
    proc = helm("lint", "--strict", str(chart_dir), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=[p.parent.name for p in EXAMPLE_CONFIGS])
def test_example_values_lint_strict(chart_dir: Path, config: Path, target: str,
                                    tmp_path: Path) -> None:
    values = write_values(config, tmp_path / "values.yaml", target=target)
    proc = helm("lint", "--strict", str(chart_dir), "-f", str(values), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_strict_can_fail(chart_dir: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("projects: [{name: p, deployments: [{name: a, model: nope}]}]\n", "utf-8")
    proc = helm("lint", "--strict", str(chart_dir), "-f", str(values), check=False)
    assert proc.returncode != 0 and "is not in the chart's catalog" in proc.stdout + proc.stderr
