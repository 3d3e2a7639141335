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
from tests.kubeconform_support import example_target
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
    assert list(report) == []
    dashboards = sum(r.signature.kind == "OdhDashboardConfig" for r in report.results)
    _check_notes(name, [n.message for _, n in report.notes()], dashboards)
    assert report.ok
    skipped = [r for r in report.results if r.status is Status.SKIPPED]
    assert {r.signature.kind for r in skipped} == {"Kustomization"}  # build input only
    assert report.count(Status.VALID) == len(report.results) - len(skipped) > 0


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=NAMES)
def test_rendered_stream_validates_as_objects(config: Path,
                                              strict_options: ValidateOptions) -> None:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    objects = yamlio.load_all(result.out, "render")
    name = config.parent.name
    report = validate_objects(objects, _options(name, strict_options))
    assert list(report) == []
    dashboards = sum(o["kind"] == "OdhDashboardConfig" for o in objects)
    _check_notes(name, [n.message for _, n in report.notes()], dashboards)


@pytest.mark.parametrize("name", NAMES)
def test_cli_validates_the_kustomize_build(name: str, rendered: dict[str, Path],
                                           crd_schemas: str) -> None:
    result = run_cli(["validate", "--strict", "--schema-location", crd_schemas,
                      "--target", example_target(name), "--kustomize", str(rendered[name])])
    assert result.code == 0, result.out + result.err
    summary = next(line for line in result.out.splitlines() if " resources, " in line)
    assert summary.endswith(", 0 invalid, 0 errors, 0 skipped")


def test_demo_commands_pass(rendered: dict[str, Path], crd_schemas: str) -> None:
    """What scripts/demo runs: without CRDs, missing CRD schemas ignored (the demo then says
    which it skipped); with `CRDS=DIR`, every object strictly."""
    paths = [str(p) for p in rendered.values()]
    result = run_cli(["validate", "--ignore-missing-schemas", "--target", "redesign",
                      "-o", "json", "-v", *paths])
    assert result.code == 0, result.out
    reasons = {r["reason"] for r in json.loads(result.out)["resources"]
               if r["status"] == "skipped"}
    assert reasons == {"no schema", "kustomize build input, not a cluster object"}
    result = run_cli(["validate", "--strict", "--target", "redesign", "--schema-location",
                      crd_schemas, *paths])
    assert result.code == 0, result.out
    summary = next(line for line in result.out.splitlines() if " resources, " in line)
    skipped = sum(1 for p in rendered.values() for _ in p.rglob("kustomization.yaml"))
    assert summary.endswith(f" 0 invalid, 0 errors, {skipped} skipped")


def test_hand_written_example_manifests_validate(strict_options: ValidateOptions) -> None:
    """The manifests shipped beside the configs (secret stores, Argo CD, Flux, overlay)."""
    dirs = [EXAMPLES / name for name in ("secret-stores", "argocd", "flux", "overlay")]
    report = validate_paths([str(d) for d in dirs], strict_options)
    assert list(report) == []
    assert report.count(Status.VALID) >= 10
