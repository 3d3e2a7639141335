"""The legacy exec plugin under a real `kubectl kustomize --enable-alpha-plugins`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.config import API_VERSION, KIND
from tests.helpers import EXAMPLES, HOSTILE_MODULE, REPO, SNAPSHOT, run_cli, tool

PLUGIN_HOME = REPO / "plugins/kustomize"
GROUP, VERSION = API_VERSION.split("/")
PLUGIN = PLUGIN_HOME / GROUP / VERSION / KIND.lower() / KIND


def _sorted(objects: list[Any]) -> list[Any]:
    return sorted(objects, key=lambda o: json.dumps(o, sort_keys=True))


def _kustomization(root: Path, config: Path, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, root / "nim.yaml")
    (root / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"generators:\n- nim.yaml\n{extra}", "utf-8")
    return root


def _build(directory: Path, env: dict[str, str], *, home: Path = PLUGIN_HOME,
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(directory)],
        env={**env, "KUSTOMIZE_PLUGIN_HOME": str(home)}, capture_output=True, text=True,
        check=False, timeout=120)


def _rendered(config: Path) -> list[Any]:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render")


def test_plugin_sits_where_kustomize_looks_and_is_executable() -> None:
    assert PLUGIN.is_file()
    assert os.access(PLUGIN, os.X_OK)
    assert PLUGIN.read_text("utf-8").startswith("#!/bin/sh\n")


@pytest.mark.parametrize("example", ["quickstart", "multi-project", "air-gapped"])
def test_kubectl_kustomize_equals_render(example: str, tmp_path: Path,
                                         plugin_env: dict[str, str]) -> None:
    config = EXAMPLES / example / "nim-gitops.yaml"
    proc = _build(_kustomization(tmp_path / "k", config), plugin_env)
    assert proc.returncode == 0, proc.stderr
    assert _sorted(yamlio.load_all(proc.stdout, "kustomize")) == _sorted(_rendered(config))


def test_catalog_is_read_from_the_kustomization_root(tmp_path: Path,
                                                     plugin_env: dict[str, str]) -> None:
    root = tmp_path / "k"
    (root / "catalog").mkdir(parents=True)
    shutil.copy(SNAPSHOT, root / "catalog/models.yaml")
    config = yamlio.load_one((EXAMPLES / "quickstart/nim-gitops.yaml").read_text(), "q")
    config["spec"]["platform"]["catalog"] = {"file": "catalog/models.yaml"}
    config["spec"]["platform"]["target"] = "redesign"  # renders the catalog's ConfigMap
    source = tmp_path / "config.yaml"
    source.write_text(yamlio.dump(config), "utf-8")
    _kustomization(root, source)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    proc = subprocess.run(
        [tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(root)], cwd=elsewhere,
        env={**plugin_env, "KUSTOMIZE_PLUGIN_HOME": str(PLUGIN_HOME)}, capture_output=True,
        text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    built = yamlio.load_all(proc.stdout, "kustomize")
    [configmap] = [o for o in built if o["kind"] == "ConfigMap"]
    assert len(configmap["data"]) == len(yamlio.load_one(SNAPSHOT.read_text(), "s")["data"])
    (tmp_path / "catalog").mkdir()  # the same catalog beside `source`, for render
    shutil.copy(SNAPSHOT, tmp_path / "catalog/models.yaml")
    assert _sorted(built) == _sorted(_rendered(source))


def test_kustomize_features_apply_to_generated_objects(tmp_path: Path,
                                                      plugin_env: dict[str, str]) -> None:
    root = _kustomization(tmp_path / "k", EXAMPLES / "quickstart/nim-gitops.yaml",
                          "commonLabels:\n  app.kubernetes.io/part-of: nim\n")
    proc = _build(root, plugin_env)
    assert proc.returncode == 0, proc.stderr
    built = yamlio.load_all(proc.stdout, "kustomize")
    assert built and all(
        o["metadata"]["labels"]["app.kubernetes.io/part-of"] == "nim" for o in built)


def test_invalid_config_fails_the_build(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "quickstart/nim-gitops.yaml").read_text()
                   .replace("tag: 1.15.5", "tag: 9.9.9"), "utf-8")
    proc = _build(_kustomization(tmp_path / "k", bad), plugin_env)
    assert proc.returncode != 0
    assert '"9.9.9" is not a tag' in proc.stderr
    # kustomize hands over a temporary copy: the error names the object and the kustomization
    assert f"NimGitOps quickstart (generator of {tmp_path / 'k'}) spec.projects[0]" in proc.stderr
    assert proc.stdout == ""


def test_nim_gitops_command_can_be_overridden(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    env = {**plugin_env, "PATH": "/usr/bin:/bin", "NIM_GITOPS": f"{sys.executable} -I -m generator"}
    config = EXAMPLES / "quickstart/nim-gitops.yaml"
    proc = _build(_kustomization(tmp_path / "k", config), env)
    assert proc.returncode == 0, proc.stderr
    assert _sorted(yamlio.load_all(proc.stdout, "kustomize")) == _sorted(_rendered(config))


@pytest.mark.parametrize("command", [None, "{python} -I -m generator", "{python} -P -m generator"])
def test_python_files_in_the_kustomization_are_not_imported(
        tmp_path: Path, plugin_env: dict[str, str], command: str | None) -> None:
    """kustomize runs the plugin in the kustomization root: a yaml.py there must not load."""
    root = _kustomization(tmp_path / "k", EXAMPLES / "quickstart/nim-gitops.yaml")
    (root / "yaml.py").write_text(HOSTILE_MODULE, "utf-8")
    env = dict(plugin_env)
    if command:
        env["NIM_GITOPS"] = command.format(python=sys.executable)
    proc = _build(root, env)
    assert proc.returncode == 0, proc.stderr
    assert not (root / "PWNED").exists()


def test_plain_python_m_would_import_from_the_kustomization(
        tmp_path: Path, plugin_env: dict[str, str]) -> None:
    """Why the invocations above matter: `python3 -m` puts the working directory first."""
    root = _kustomization(tmp_path / "k", EXAMPLES / "quickstart/nim-gitops.yaml")
    (root / "yaml.py").write_text(HOSTILE_MODULE, "utf-8")
    _build(root, {**plugin_env, "NIM_GITOPS": f"{sys.executable} -m generator"})
    assert (root / "PWNED").exists()


def test_without_the_plugin_kubectl_refuses(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    root = _kustomization(tmp_path / "k", EXAMPLES / "quickstart/nim-gitops.yaml")
    proc = _build(root, plugin_env, home=tmp_path / "empty")
    assert proc.returncode != 0


def _pinned_quickstart(tmp_path: Path) -> Path:
    config = yamlio.load_one((EXAMPLES / "quickstart/nim-gitops.yaml").read_text(), "q")
    config["spec"]["airGap"] = {"mirror": "registry.example.com/nvcr", "pinDigests": True}
    source = tmp_path / "pinned.yaml"
    source.write_text(yamlio.dump(config), "utf-8")
    return source


@pytest.mark.parametrize("target", ["catalog", "lock"])
def test_symlinks_out_of_the_kustomization_are_refused(tmp_path: Path, target: str,
                                                       plugin_env: dict[str, str]) -> None:
    """A catalog or lock that is a symlink leading outside the root fails without quoting it."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("admin: $6$FAKEHASHFORTESTS$0123456789\n", "utf-8")
    config = yamlio.load_one(_pinned_quickstart(tmp_path).read_text(), "p")
    if target == "catalog":
        config["spec"]["platform"]["catalog"] = {"file": "models.yaml"}
    source = tmp_path / "config.yaml"
    source.write_text(yamlio.dump(config), "utf-8")
    root = _kustomization(tmp_path / "k", source)
    (root / ("models.yaml" if target == "catalog" else "nim-gitops.lock.yaml")).symlink_to(outside)
    proc = _build(root, plugin_env)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "outside" in proc.stderr
    assert "$6$" not in proc.stderr and "admin" not in proc.stderr
