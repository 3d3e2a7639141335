"""Suite-wide fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_real_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever sees a real NGC key from the developer's environment."""
    monkeypatch.delenv("NGC_API_KEY", raising=False)
