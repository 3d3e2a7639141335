"""Every example manifest validates, strictly, against the upstream CRDs in ../shared/crds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, REPO

MANIFEST_DIRS = [EXAMPLES / "argocd", EXAMPLES / "argocd/cmp", EXAMPLES / "flux",
                 EXAMPLES / "flux/helmrelease"]
KINDS = {"Application", "ApplicationSet", "GitRepository", "Kustomization", "HelmRelease",
         "OCIRepository"}


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for directory in MANIFEST_DIRS:
        for path in sorted(directory.glob("*.yaml")):
            for obj in yamlio.load_all(path.read_text("utf-8"), str(path)):
                if obj.get("apiVersion", "").startswith("kustomize.config.k8s.io/"):
                    continue  # kustomization.yaml files are build input, not cluster objects
                found.append((path.relative_to(REPO).as_posix(), obj))
    return found


MANIFESTS = _manifests()


def test_every_example_kind_is_covered() -> None:
    assert {obj["kind"] for _, obj in MANIFESTS} == KINDS


@pytest.fixture(scope="module")
def validate(crd_validate: Any) -> Any:
    """Strict CRD validation, shared by the suite (tests/conftest.py)."""
    return crd_validate


@pytest.mark.parametrize(("source", "obj"), MANIFESTS,
                         ids=[f"{s}:{o['kind']}/{o['metadata']['name']}" for s, o in MANIFESTS])
def test_example_validates_against_its_crd(validate: Any, source: str,
                                           obj: dict[str, Any]) -> None:
    findings = list(validate([obj]))
    assert findings == [], f"{source}: {findings}"


def test_validation_catches_a_broken_example(validate: Any) -> None:
    """The check above can fail: a field the CRD does not know is reported."""
    source, obj = next((s, o) for s, o in MANIFESTS if o["kind"] == "Application")
    broken = {**obj, "spec": {**obj["spec"], "syncPolicyy": {}}}
    assert list(validate([broken])), source


def test_maintainers_output_validates(validate: Any, tmp_path: Path) -> None:
    from tests.helpers import SNAPSHOT, run_cli

    result = run_cli(["render", str(EXAMPLES / "maintainers/odh-model-controller.yaml"),
                      "--catalog", str(SNAPSHOT), "-o", "-"])
    assert result.code == 0, result.err
    objects = yamlio.load_all(result.out, "render")
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Template"]
    assert list(validate(objects)) == []
