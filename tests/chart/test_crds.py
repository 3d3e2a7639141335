"""Chart output validates, strictly, against the upstream CRDs in ../shared/crds (as render's)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.support import helm_template, write_values
from tests.helpers import EXAMPLES
from tests.kubeconform_support import config_target

EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))


@pytest.fixture(scope="module")
def validate(crd_validate: Any) -> Any:
    """Strict CRD validation, shared by the suite (tests/conftest.py)."""
    return crd_validate


def _objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


# The real kubeconform found it too (tests/validate/test_real_kubeconform.py): the chart renders
# OdhDashboardConfig spec.nimConfig whatever platform.target says. Strict: drop when fixed.
CHART_IGNORES_TARGET = pytest.mark.xfail(
    strict=True, reason="the chart renders spec.nimConfig for platform.target current too; "
                        "the installed OdhDashboardConfig CRD rejects it")


@pytest.mark.parametrize("config", [
    pytest.param(c, id=c.parent.name,
                 marks=[CHART_IGNORES_TARGET] if config_target(c) == "current" else [])
    for c in EXAMPLE_CONFIGS])
def test_chart_output_validates(validate: Any, chart_dir: Path, config: Path,
                                tmp_path: Path) -> None:
    values = write_values(config, tmp_path / "values.yaml")
    objects = _objects(helm_template(chart_dir, values))
    assert objects
    assert validate(objects, target=config_target(config)) == []


def test_validation_can_fail(validate: Any, chart_dir: Path, tmp_path: Path) -> None:
    values = write_values(EXAMPLES / "quickstart/nim-gitops.yaml", tmp_path / "values.yaml")
    objects = _objects(helm_template(chart_dir, values))
    broken = copy.deepcopy(next(o for o in objects if o["kind"] == "ExternalSecret"))
    broken["spec"]["refreshIntervall"] = "1h"
    assert validate([broken]) != []
