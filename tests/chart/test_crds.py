"""Chart output validates, strictly, against the upstream CRDs in ../shared/crds (as render's)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.support import helm_template, write_values
from tests.helpers import EXAMPLES
from tests.kubeconform_support import NO_CRD_HERE

EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))
TARGETS = ("current", "redesign")


@pytest.fixture(scope="module")
def validate(crd_validate: Any) -> Any:
    """Strict CRD validation, shared by the suite (tests/conftest.py)."""
    return crd_validate


def _objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=[p.parent.name for p in EXAMPLE_CONFIGS])
def test_chart_output_validates(validate: Any, chart_dir: Path, config: Path, target: str,
                                tmp_path: Path) -> None:
    """Every example, charted for each target, validates against the CRDs for that target
    (but the kinds whose CRD is not here: NO_CRD_HERE says why)."""
    values = write_values(config, tmp_path / "values.yaml", target=target)
    objects = [o for o in _objects(helm_template(chart_dir, values))
               if o["kind"] not in NO_CRD_HERE]
    assert objects
    assert validate(objects, target=target) == []


def test_validation_can_fail(validate: Any, chart_dir: Path, tmp_path: Path) -> None:
    values = write_values(EXAMPLES / "quickstart/nim-gitops.yaml", tmp_path / "values.yaml")
    objects = _objects(helm_template(chart_dir, values))
    broken = copy.deepcopy(next(o for o in objects if o["kind"] == "ExternalSecret"))
    broken["spec"]["refreshIntervall"] = "1h"
    assert validate([broken]) != []
