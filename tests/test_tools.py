"""The project-installed real tools are present and are the pinned versions."""

from __future__ import annotations

import json
import subprocess

from tests.helpers import tool


def test_helm_is_v4() -> None:
    out = subprocess.run([tool("helm"), "version", "--template", "{{.Version}}"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().split(".")[0] == "v4"


def test_kubectl_has_kustomize() -> None:
    out = subprocess.run([tool("kubectl"), "version", "--client", "-o", "json"],
                         capture_output=True, text=True, check=True)
    versions = json.loads(out.stdout)
    assert versions["clientVersion"]["gitVersion"].split(".")[:2] == ["v1", "37"]
    assert versions["kustomizeVersion"].split(".")[:2] == ["v5", "8"]
