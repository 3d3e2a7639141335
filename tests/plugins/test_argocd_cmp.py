"""The Argo CD Config Management Plugin: run `generate` exactly as the CMP server does."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, HOSTILE_MODULE, REPO, SNAPSHOT, run_cli, tool

PLUGIN_DIR = REPO / "plugins/argocd"
PLUGIN = yamlio.load_one((PLUGIN_DIR / "plugin.yaml").read_text("utf-8"), "plugin.yaml")
APP_PATH = "apps/prod"


def _param_env(params: dict[str, str]) -> dict[str, str]:
    """What the CMP server sets for string parameters: JSON plus PARAM_<NAME>."""
    env = {"ARGOCD_APP_PARAMETERS": json.dumps(
        [{"name": name, "string": value} for name, value in params.items()])}
    for name, value in params.items():
        env["PARAM_" + "".join(c if c.isalnum() else "_" for c in name.upper())] = value
    return env


def _app_env(repo: Path, params: dict[str, str]) -> dict[str, str]:
    return {
        "ARGOCD_APP_NAME": "nim-prod",
        "ARGOCD_APP_NAMESPACE": "openshift-gitops",
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "0123456789abcdef0123456789abcdef01234567",
        "ARGOCD_APP_REVISION_SHORT": "0123456",
        "ARGOCD_APP_SOURCE_PATH": APP_PATH,
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/platform/nim.git",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.31.0",
        "KUBE_API_VERSIONS": "v1,apps/v1,serving.kserve.io/v1beta1",
        "ARGOCD_ENV_CLUSTER": "prod",
        **_param_env(params),
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of an example repository: the multi-project config at apps/prod."""
    app = tmp_path / "repo" / APP_PATH
    app.mkdir(parents=True)
    shutil.copy(EXAMPLES / "multi-project/nim-gitops.yaml", app / "nim-gitops.yaml")
    return tmp_path / "repo"


def _generate(repo: Path, env: dict[str, str], params: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    generate = PLUGIN["spec"]["generate"]
    return subprocess.run([*generate["command"], *generate.get("args", [])],
                          cwd=repo / APP_PATH, env={**env, **_app_env(repo, params or {})},
                          capture_output=True, text=True, check=False, timeout=120)


def _rendered(config: Path, *extra: str) -> list[Any]:
    result = run_cli(["render", str(config), "-o", "-", *extra])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render")


def test_plugin_shape() -> None:
    assert PLUGIN["apiVersion"] == "argoproj.io/v1alpha1"
    assert PLUGIN["kind"] == "ConfigManagementPlugin"
    assert PLUGIN["metadata"]["name"] == "nim-gitops"
    params = {p["name"]: p for p in PLUGIN["spec"]["parameters"]["static"]}
    assert set(params) == {"config", "catalog", "target"}
    assert params["config"]["string"] == "nim-gitops.yaml"


def test_discovery_matches_a_config_in_the_app_path(repo: Path) -> None:
    pattern = PLUGIN["spec"]["discover"]["fileName"]
    assert glob.glob(str(repo / APP_PATH / pattern))
    assert not glob.glob(str(repo / "apps" / pattern))


def test_generate_prints_the_render(repo: Path, plugin_env: dict[str, str]) -> None:
    proc = _generate(repo, plugin_env)
    assert proc.returncode == 0, proc.stderr
    objects = yamlio.load_all(proc.stdout, "generate")
    assert objects and all(isinstance(o, dict) and "kind" in o for o in objects)
    assert objects == _rendered(repo / APP_PATH / "nim-gitops.yaml")


def test_config_and_catalog_parameters(repo: Path, plugin_env: dict[str, str]) -> None:
    app = repo / APP_PATH
    (app / "nim-gitops.yaml").rename(app / "prod.yaml")
    (app / "catalog").mkdir()
    shutil.copy(SNAPSHOT, app / "catalog/models.yaml")
    proc = _generate(repo, plugin_env, {"config": "prod.yaml", "catalog": "catalog/models.yaml"})
    assert proc.returncode == 0, proc.stderr
    expected = _rendered(app / "prod.yaml", "--catalog", str(app / "catalog/models.yaml"))
    assert yamlio.load_all(proc.stdout, "generate") == expected
    default_catalog = _rendered(app / "prod.yaml")
    assert expected != default_catalog


def test_target_parameter_overrides_the_config(repo: Path, plugin_env: dict[str, str]) -> None:
    config = repo / APP_PATH / "nim-gitops.yaml"
    for target in ("current", "redesign"):
        proc = _generate(repo, plugin_env, {"target": target})
        assert proc.returncode == 0, proc.stderr
        assert yamlio.load_all(proc.stdout, "generate") == _rendered(config, "--target", target)
    proc = _generate(repo, plugin_env, {"target": "future"})
    assert proc.returncode == 2 and proc.stdout == ""


@pytest.mark.parametrize(("params", "code", "message"), [
    ({"config": "missing.yaml"}, 1, "file not found"),
    ({"config": "/etc/passwd"}, 2, "refusing path"),
    ({"config": "../../../x.yaml"}, 2, "refusing path"),
    ({"catalog": "sub/../../models.yaml"}, 2, "refusing path"),
    ({"catalog": "missing.yaml"}, 1, "file not found"),
])
def test_errors_fail_with_no_output(repo: Path, plugin_env: dict[str, str],
                                    params: dict[str, str], code: int, message: str) -> None:
    proc = _generate(repo, plugin_env, params)
    assert proc.returncode == code
    assert proc.stdout == ""
    assert message in proc.stderr


# A line of /etc/shadow's shape; the hash is made up.
OUTSIDE_SECRET = "admin: $6$rounds=5000$FAKEHASHFORTESTS$0123456789abcdef\n"


@pytest.mark.parametrize("param", ["config", "catalog"])
def test_symlinks_out_of_the_repository_are_refused(repo: Path, plugin_env: dict[str, str],
                                                    param: str) -> None:
    outside = repo.parent / "outside.yaml"
    outside.write_text(OUTSIDE_SECRET, "utf-8")
    (repo / APP_PATH / "link.yaml").symlink_to(outside)
    (repo / APP_PATH / "dir").symlink_to(repo.parent)
    for path in ("link.yaml", "dir/outside.yaml"):
        proc = _generate(repo, plugin_env, {param: path})
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""
        assert "$6$" not in proc.stderr and "admin" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_a_digest_lock_symlinked_out_of_the_repository_is_refused(
        repo: Path, plugin_env: dict[str, str]) -> None:
    """The lock file beside the config (`spec.airGap.pinDigests`) is confined like the config
    and the catalog (issue #27 item 17), as the KRM function confines it."""
    outside = repo.parent / "outside.lock.yaml"
    outside.write_text(OUTSIDE_SECRET, "utf-8")
    (repo / APP_PATH / "nim-gitops.lock.yaml").symlink_to(outside)
    proc = _generate(repo, plugin_env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "nim-gitops.lock.yaml" in proc.stderr and "outside the repository" in proc.stderr
    assert "$6$" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_symlinks_inside_the_repository_are_followed(repo: Path,
                                                     plugin_env: dict[str, str]) -> None:
    app = repo / APP_PATH
    (repo / "common").mkdir()
    shutil.copy(SNAPSHOT, repo / "common/models.yaml")
    (app / "models.yaml").symlink_to(repo / "common/models.yaml")
    proc = _generate(repo, plugin_env, {"catalog": "models.yaml"})
    assert proc.returncode == 0, proc.stderr
    expected = _rendered(app / "nim-gitops.yaml", "--catalog", str(repo / "common/models.yaml"))
    assert yamlio.load_all(proc.stdout, "generate") == expected


@pytest.mark.parametrize("content", [
    OUTSIDE_SECRET,
    "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2-fake}\n",
    "- admin: hunter2-fake\n",
])
def test_a_file_that_is_not_a_nimgitops_object_is_not_quoted(
        repo: Path, plugin_env: dict[str, str], content: str) -> None:
    (repo / APP_PATH / "other.yaml").write_text(content, "utf-8")
    proc = _generate(repo, plugin_env, {"config": "other.yaml"})
    assert proc.returncode == 1
    assert proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert "other.yaml" in line
    for secret in ("admin", "$6$", "hunter2", "password", "db"):
        assert secret not in line


def test_python_files_in_the_repository_are_not_imported(repo: Path,
                                                        plugin_env: dict[str, str]) -> None:
    app = repo / APP_PATH
    (app / "yaml.py").write_text(HOSTILE_MODULE, "utf-8")
    proc = _generate(repo, plugin_env)
    assert proc.returncode == 0, proc.stderr
    assert not (app / "PWNED").exists()


def test_invalid_config_fails_with_no_output(repo: Path, plugin_env: dict[str, str]) -> None:
    config = repo / APP_PATH / "nim-gitops.yaml"
    config.write_text(config.read_text().replace("tag: 1.12.0", "tag: 0.0.1"), "utf-8")
    proc = _generate(repo, plugin_env)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert '"0.0.1" is not a tag' in proc.stderr


def _fake_repo_server() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "argocd-repo-server"},
        "spec": {"selector": {"matchLabels": {"app": "repo"}}, "template": {
            "metadata": {"labels": {"app": "repo"}},
            "spec": {"containers": [{"name": "argocd-repo-server", "image": "argocd"}],
                     "volumes": [{"name": "var-files", "emptyDir": {}},
                                 {"name": "plugins", "emptyDir": {}}]}}},
    }


IMAGE = "registry.example.com/platform/nim-gitops-cmp"
DIGEST = "sha256:" + "0" * 64


def test_component_adds_the_sidecar(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(yamlio.dump(_fake_repo_server()), "utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources: [deploy.yaml]\ncomponents: [{os.path.relpath(PLUGIN_DIR, tmp_path)}]\n"
        f"images:\n- {{name: nim-gitops-cmp, newName: {IMAGE}, digest: '{DIGEST}'}}\n",
        "utf-8")
    proc = subprocess.run([tool("kubectl"), "kustomize", str(tmp_path)], capture_output=True,
                          text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    objects = {o["kind"]: o for o in yamlio.load_all(proc.stdout, "kustomize")}
    configmap = objects["ConfigMap"]
    assert configmap["data"]["plugin.yaml"] == (PLUGIN_DIR / "plugin.yaml").read_text("utf-8")
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "nim-gitops")
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
    assert {"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/tmp"} <= set(mounts)
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["nim-gitops-cmp"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert {"var-files", "plugins"} <= set(volumes)
    # the image built from the Containerfile, named as docs/argocd.md says; nothing installed
    # at start-up and nothing on PYTHONPATH
    assert sidecar["image"] == f"{IMAGE}@{DIGEST}"
    assert "initContainers" not in pod
    env = {e["name"]: e["value"] for e in sidecar["env"]}
    assert "PYTHONPATH" not in env
    assert env["PATH"].split(":")[0] == "/opt/nim-gitops/bin"
