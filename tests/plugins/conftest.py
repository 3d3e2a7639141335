"""Fixtures for the plugin tests: the venv's `nim-gitops` on PATH, an isolated environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import isolated_env

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def plugin_env() -> dict[str, str]:
    """Environment for subprocesses: this checkout's `nim-gitops` first on PATH, no NGC key."""
    assert (VENV_BIN / "nim-gitops").is_file(), f"nim-gitops is not installed in {VENV_BIN}"
    return isolated_env(PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
