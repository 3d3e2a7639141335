"""Fixtures of the validate tests: rendered examples and options bound to the CRD schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.validate import ValidateOptions
from tests.helpers import EXAMPLES, run_cli

EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/nim-gitops.yaml"))


@pytest.fixture(scope="session")
def strict_options(crd_schemas: str) -> ValidateOptions:
    """Strict validation against every CRD in ../shared/crds, for today's platform."""
    return ValidateOptions(schema_locations=(crd_schemas,), strict=True)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example config rendered with `nim-gitops render -o DIR`, by example name."""
    root = tmp_path_factory.mktemp("rendered")
    out = {}
    for config in EXAMPLE_CONFIGS:
        target = root / config.parent.name
        result = run_cli(["render", str(config), "-o", str(target)])
        assert result.code == 0, result.err
        out[config.parent.name] = target
    return out
