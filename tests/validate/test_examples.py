"""Every rendered example validates strictly with no finding: paths, objects, kustomize.

Each example is checked for the platform target its output is for (`example_target`): with
`redesign`, the report must name every accepted proposed field; with `current`, nothing is
accepted beyond the installed CRDs.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generator import yamlio
from generator.validate import Status, ValidateOptions, validate_objects, validate_paths
from tests.helpers import EXAMPLES, run_cli
from tests.kubeconform_support import NO_CRD_HERE, example_target, unexplained_problems
from tests.validate.conftest import EXAMPLE_CONFIGS

NAMES = [p.parent.name for p in EXAMPLE_CONFIGS]


def test_there_are_examples() -> None:
    assert {"quickstart", "multi-project", "air-gapped"} <= set(NAMES)


def _options(name: str, strict_options: ValidateOptions) -> ValidateOptions:
    return dataclasses.replace(strict_options, target=example_target(name))


def _check_notes(name: str, notes: list[str], dashboards: int) -> None:
    """With the redesign target each OdhDashboardConfig's spec.nimConfig is named; else none."""
    if example_target(name) == "redesign":
        assert dashboards > 0
        assert notes == ["spec.nimConfig: proposed field, not in the installed CRD"] * dashboards
    else:
        assert notes == []


@pytest.mark.parametrize("name", NAMES)
def test_rendered_tree_validates(name: str, rendered: dict[str, Path],
                                 strict_options: ValidateOptions) -> None:
    report = validate_paths([str(rendered[name])], _options(name, strict_options))
    assert unexplained_problems(report) == []
    dashboards = sum(r.signature.kind == "OdhDashboardConfig" for r in report.results)
    _check_notes(name, [n.message for _, n in report.notes()], dashboards)
    skipped = [r for r in report.results if r.status is Status.SKIPPED]
    assert {r.signature.kind for r in skipped} == {"Kustomization"}  # build input only
    unchecked = [r for r in report.results if r.signature.kind in NO_CRD_HERE]
    assert report.count(Status.VALID) == len(report.results) - len(skipped) - len(unchecked) > 0


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=NAMES)
def test_rendered_stream_validates_as_objects(config: Path,
                                              strict_options: ValidateOptions) -> None:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    objects = yamlio.load_all(result.out, "render")
    name = config.parent.name
    report = validate_objects(objects, _options(name, strict_options))
    assert unexplained_problems(report) == []
    dashboards = sum(o["kind"] == "OdhDashboardConfig" for o in objects)
    _check_notes(name, [n.message for _, n in report.notes()], dashboards)


@pytest.mark.parametrize("name", NAMES)
def test_cli_validates_the_kustomize_build(name: str, rendered: dict[str, Path],
                                           crd_schemas: str) -> None:
    result = run_cli(["validate", "--strict", "--schema-location", crd_schemas,
                      "--target", example_target(name), "--kustomize", str(rendered[name]),
                      "-o", "json"])
    summary = json.loads(result.out)["summary"]
    unchecked = sum(1 for r in json.loads(result.out)["resources"]
                    if r["kind"] in NO_CRD_HERE and r["reason"].startswith("no schema"))
    assert (summary["invalid"], summary["errors"], summary["skipped"]) == (0, unchecked, 0)
    assert result.code == (1 if unchecked else 0), result.out + result.err


@pytest.mark.parametrize("with_crds", [False, True], ids=["core-only", "crds"])
def test_demo_commands_pass(rendered: dict[str, Path], crd_schemas: str,
                            with_crds: bool) -> None:
    """What scripts/demo runs per example (its config's target): missing schemas skipped, and
    the demo names them; with `CRDS=DIR` strictly, and only kinds with no CRD here skipped."""
    extra = ["--strict", "--schema-location", crd_schemas] if with_crds else []
    for name, path in rendered.items():
        result = run_cli(["validate", "--ignore-missing-schemas", "--target",
                          example_target(name), *extra, "-o", "json", "-v", str(path)])
        assert result.code == 0, result.out
        resources = json.loads(result.out)["resources"]
        assert {r["reason"] for r in resources if r["status"] == "skipped"} <= {
            "no schema", "kustomize build input, not a cluster object"}
        no_schema = {r["kind"] for r in resources if r["reason"] == "no schema"}
        if with_crds:
            assert no_schema <= set(NO_CRD_HERE)


def test_hand_written_example_manifests_validate(strict_options: ValidateOptions) -> None:
    """The manifests shipped beside the configs (secret stores, Argo CD, Flux, overlay)."""
    dirs = [EXAMPLES / name for name in ("secret-stores", "argocd", "flux", "overlay")]
    report = validate_paths([str(d) for d in dirs], strict_options)
    assert list(report) == []
    assert report.count(Status.VALID) >= 10
