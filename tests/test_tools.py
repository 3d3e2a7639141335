"""The project-installed real tools are present and are the pinned versions."""

from __future__ import annotations

import subprocess

from tests.helpers import tool


def test_helm_is_v4() -> None:
    out = subprocess.run([tool("helm"), "version"], capture_output=True, text=True, check=True)
    assert 'Version:"v4.' in out.stdout


def test_kubectl_has_kustomize() -> None:
    out = subprocess.run([tool("kubectl"), "version", "--client"], capture_output=True,
                         text=True, check=True)
    assert "Client Version: v1.37" in out.stdout
    assert "Kustomize Version: v5.8" in out.stdout
