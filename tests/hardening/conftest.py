"""Fixtures and markers of the hardening suite."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "packaging: builds and installs the wheel "
                                       "(deselect with -m 'not packaging')")
