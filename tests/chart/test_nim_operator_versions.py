"""NIM Operator versions: what v3.1.2 (the newest release, the certified bundle) accepts, and
main (unreleased) beside it.

v3.1.2 requires NIMService `spec.authSecret` (its CRD in ../shared/crds-releases/
nim-operator-v3.1.2 lists `required: [authSecret, image]`, its webhook's `validateAuthSecret`
refuses it empty) and reads NGC_API_KEY from that Secret as a non-optional secretKeyRef
(NVIDIA/k8s-nim-operator v3.1.2 api/apps/v1alpha1/nimservice_types.go `GetStandardEnv`); main
made it optional (PR #910). Render, the chart and the released CRDs must agree.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.models import PLACEHOLDER_KEY
from generator.validate import ValidateOptions, validate_paths
from tests.chart.support import assert_same_objects, helm_template, render_build, write_values
from tests.helpers import CRDS, SHARED, run_cli

RELEASED = SHARED / "crds-releases" / "nim-operator-v3.1.2"
MIRRORED = {"source": {"pvc": "filled-cache"}}


def _config(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "airGap": {"mirror": "registry.example.com/nvcr"},
        "projects": [{"name": "p", "deployments": [
            {"name": "o", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
             "backend": "nim-operator", "cache": copy.deepcopy(MIRRORED)}]}],
    }
    spec.update(changes)
    return {"apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
            "metadata": {"name": "v"}, "spec": spec}


@pytest.fixture
def write(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def _write(config: dict[str, Any]) -> Path:
        path = tmp_path / "nim-gitops.yaml"
        path.write_text(yamlio.dump(config), "utf-8")
        return path
    return _write


@pytest.fixture(scope="module")
def released_schemas(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The v3.1.2 CRDs, then main's for every other kind, in kubeconform's layout."""
    released = tmp_path_factory.mktemp("released")
    main = tmp_path_factory.mktemp("main")
    for source, out in ((RELEASED, released), (CRDS, main)):
        result = run_cli(["schemas", "build", str(source), "-o", str(out)])
        assert result.code == 0, result.err
    return str(released), str(main)


def _services(config: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli(["render", str(config), "-o", "-", *args])
    assert result.code == 0, result.err
    return [o for o in yamlio.load_all(result.out, "render") if o["kind"] == "NIMService"]


def _released_problems(config: Path, schemas: tuple[str, str], tmp_path: Path,
                       target: str = "current") -> list[str]:
    out = tmp_path / "out.yaml"
    result = run_cli(["render", str(config), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    out.write_text(result.out, "utf-8")
    options = ValidateOptions(schema_locations=schemas, strict=True, target=target,
                              skip=("NIM001",))
    report = validate_paths([str(out)], options)
    return [f"{r.location} {f}" for r, f in report.problems()
            if r.signature.kind != "DataScienceCluster"]


def test_air_gapped_project_nimservice_names_the_placeholder(
        write: Callable[[dict[str, Any]], Path]) -> None:
    """current, air-gapped, scope project (the default): the project's placeholder Secret,
    which holds NGC_API_KEY, is the authSecret v3.1.2 wants."""
    (service,) = _services(write(_config()))
    assert service["spec"]["authSecret"] == "nvidia-nim-secrets"
    assert "pullSecrets" not in service["spec"]["image"]


def test_main_needs_no_auth_secret(write: Callable[[dict[str, Any]], Path]) -> None:
    config = _config(platform={"nimOperator": {"version": "main"}})
    (service,) = _services(write(config))
    assert "authSecret" not in service["spec"]


def test_v312_without_any_key_is_refused_naming_main(
        write: Callable[[dict[str, Any]], Path], tmp_path: Path) -> None:
    config = write(_config(secrets={"scope": "deployment"}))
    result = run_cli(["render", str(config), "-o", str(tmp_path / "out")])
    assert result.code == 1
    (line,) = result.err.strip().splitlines()
    assert "spec.projects[0].deployments[0].backend" in line and "v3.1.2" in line
    assert "version: main" in line
    assert not (tmp_path / "out").exists()
    config = write(_config(secrets={"scope": "deployment"},
                           platform={"nimOperator": {"version": "main"}}))
    assert run_cli(["render", str(config), "-o", "-"]).code == 0


def test_v312_keeps_the_key_of_a_keyless_nimservice(tmp_path: Path) -> None:
    """Connected with a provider, a public keyless release with mirrored weights needs no key
    (generator/keyless.py), but v3.1.2 reads NGC_API_KEY from authSecret, so the deployment
    keeps its key scaffold; on main it goes."""
    from tests.render.test_keyless import _write as write_keyless

    for version, expected in (("v3.1.2", "nim-api-key-o"), ("main", None)):
        path = write_keyless(tmp_path, [{"name": "o", "model": "open-llm", "tag": "2.0.11",
                                         "backend": "nim-operator", "cache": MIRRORED}])
        config = yamlio.load_one(path.read_text("utf-8"), str(path))
        config["spec"]["platform"]["nimOperator"] = {"version": version}
        path.write_text(yamlio.dump(config), "utf-8")
        result = run_cli(["render", str(path), "-o", "-"])
        assert result.code == 0, result.err
        objects = yamlio.load_all(result.out, "render")
        (service,) = [o for o in objects if o["kind"] == "NIMService"]
        assert service["spec"].get("authSecret") == expected, version
        scaffolds = {o["metadata"]["name"] for o in objects if o["kind"] == "ExternalSecret"}
        assert ("nim-api-key-o" in scaffolds) == (expected is not None), version


@pytest.mark.parametrize("example", ["nim-operator", "air-gapped", "serving-options"])
def test_examples_pass_the_released_crds(example: str, released_schemas: tuple[str, str],
                                         tmp_path: Path) -> None:
    from tests.helpers import EXAMPLES

    config = EXAMPLES / example / "nim-gitops.yaml"
    assert _released_problems(config, released_schemas, tmp_path) == []


def test_the_air_gapped_nimservice_passes_the_released_crd(
        write: Callable[[dict[str, Any]], Path], released_schemas: tuple[str, str],
        tmp_path: Path) -> None:
    assert _released_problems(write(_config()), released_schemas, tmp_path) == []


def test_the_released_crd_rejects_a_nimservice_without_auth_secret(
        write: Callable[[dict[str, Any]], Path], released_schemas: tuple[str, str],
        tmp_path: Path) -> None:
    """The check can fail: main's output without authSecret, against v3.1.2's CRD."""
    config = write(_config(platform={"nimOperator": {"version": "main"}}))
    problems = _released_problems(config, released_schemas, tmp_path)
    assert problems and all("authSecret" in p for p in problems), problems


@pytest.mark.parametrize("changes", [
    {}, {"platform": {"nimOperator": {"version": "main"}}},
    {"secrets": {"scope": "deployment"}, "platform": {"nimOperator": {"version": "main"}}},
], ids=["v3.1.2-project", "main-project", "main-deployment"])
def test_the_chart_renders_the_same_nimservice(
        chart_dir: Path, write: Callable[[dict[str, Any]], Path], tmp_path: Path,
        changes: dict[str, Any]) -> None:
    config = write(_config(**changes))
    values = write_values(config, tmp_path / "values.yaml")
    assert assert_same_objects(render_build(config, tmp_path / "render"),
                               helm_template(chart_dir, values)) > 0


def test_the_placeholder_secret_is_what_the_service_reads(
        write: Callable[[dict[str, Any]], Path]) -> None:
    result = run_cli(["render", str(write(_config())), "-o", "-"])
    secrets = {o["metadata"]["name"]: o for o in yamlio.load_all(result.out, "render")
               if o["kind"] == "Secret" and o["metadata"]["namespace"] == "p"}
    assert secrets["nvidia-nim-secrets"]["stringData"]["NGC_API_KEY"] == PLACEHOLDER_KEY


ROWS = Path(__file__).parents[1] / "render" / "golden" / "rows"
COMPAT = Path(__file__).parents[1] / "data" / "compat"


@pytest.mark.parametrize("row", ["nim-operator-main"])
def test_compatibility_row_golden(row: str) -> None:
    """docs/compatibility.md: the rows the examples' goldens do not cover have their own."""
    result = run_cli(["render", str(COMPAT / f"{row}.yaml"), "-o", "-"])
    assert result.code == 0, result.err
    golden = ROWS / f"{row}.yaml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.out, "utf-8")
    assert result.out == golden.read_text("utf-8")
    (service,) = [o for o in yamlio.load_all(result.out, "render") if o["kind"] == "NIMService"]
    assert "authSecret" not in service["spec"]
