"""Fixtures for chart tests: a freshly generated chart (the committed one is checked apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.fixture(scope="session")
def chart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The chart generated from the current sources and the sample catalog."""
    out = tmp_path_factory.mktemp("chart") / "nim-gitops"
    result = run_cli(["chart", "-o", str(out)])
    assert result.code == 0, result.err
    return out
