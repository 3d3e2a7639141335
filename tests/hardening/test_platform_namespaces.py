"""The platform's namespaces and their usual neighbours are never managed projects (issue #27,
item 25): pruning a project would delete them."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import yamlio
from tests.hardening.test_key_writers import _config
from tests.helpers import run_cli

# --- issue #27 item 25: the platform's neighbours are never managed projects -------------------

@pytest.mark.parametrize("namespace", ["rhods-notebooks", "opendatahub", "nvidia-gpu-operator",
                                       "vault", "argocd", "openshift-gitops", "flux-system"])
def test_critical_namespaces_cannot_be_managed_projects(tmp_path: Path, namespace: str) -> None:
    config = yamlio.load_one(_config(tmp_path).read_text("utf-8"), "c")
    config["spec"]["projects"][0]["name"] = namespace
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["render", str(path), "-o", str(tmp_path / "out")])
    assert result.code == 1 and "namespace.manage: false" in result.err
    assert "spec.projects[0].name" in result.err and not (tmp_path / "out").exists()
    config["spec"]["projects"][0]["namespace"] = {"manage": False}  # the explicit opt-in
    path.write_text(yamlio.dump(config), "utf-8")
    assert run_cli(["render", str(path), "-o", "-"]).code == 0
