"""The Argo CD, Flux, overlay and maintainers examples, against a real rendered repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, HOSTILE_MODULE, SNAPSHOT, kustomize_build, run_cli

CONFIG = EXAMPLES / "multi-project/nim-gitops.yaml"
PROJECTS = sorted(p["name"] for p in yamlio.load_one(CONFIG.read_text(), "c")["spec"]["projects"])


def _load(path: Path) -> list[dict[str, Any]]:
    return yamlio.load_all(path.read_text("utf-8"), str(path))


def _by_kind(directory: Path, kind: str) -> list[dict[str, Any]]:
    return [o for p in sorted(directory.glob("*.yaml")) for o in _load(p) if o["kind"] == kind]


@pytest.fixture(scope="module")
def gitops_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layout the examples assume: the config, rendered/ and an overlay."""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copy(CONFIG, repo / "nim-gitops.yaml")
    result = run_cli(["render", str(repo / "nim-gitops.yaml"), "-o", str(repo / "rendered")])
    assert result.code == 0, result.err
    shutil.copytree(EXAMPLES / "overlay", repo / "overlays/team-a")
    return repo


def test_argocd_platform_application_points_at_the_platform(gitops_repo: Path) -> None:
    [app] = _by_kind(EXAMPLES / "argocd", "Application")
    path = gitops_repo / app["spec"]["source"]["path"]
    built = yamlio.load_all(kustomize_build(path), "platform")
    assert {o["kind"] for o in built} >= {"ConfigMap", "Template", "OdhDashboardConfig"}
    assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1"
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_argocd_applicationset_finds_every_project(gitops_repo: Path) -> None:
    [appset] = _by_kind(EXAMPLES / "argocd", "ApplicationSet")
    [generator] = appset["spec"]["generators"]
    git = generator["git"]
    assert git["repoURL"] == appset["spec"]["template"]["spec"]["source"]["repoURL"]
    [pattern] = [d["path"] for d in git["directories"]]
    # Argo CD matches directories with path.Match: `*` stays within one path segment
    found = sorted(p.relative_to(gitops_repo).as_posix() for p in gitops_repo.glob(pattern)
                   if p.is_dir() and not p.name.startswith("."))
    assert [Path(f).name for f in found] == PROJECTS
    for directory in found:
        objects = yamlio.load_all(kustomize_build(gitops_repo / directory), directory)
        assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} \
            == {Path(directory).name}
    assert appset["spec"]["template"]["spec"]["destination"]["namespace"] == \
        "{{ .path.basename }}"


def test_argocd_root_builds() -> None:
    kinds = sorted(o["kind"] for o in yamlio.load_all(kustomize_build(EXAMPLES / "argocd"), "a"))
    assert kinds == ["Application", "ApplicationSet"]


def test_argocd_cmp_application_uses_the_plugin() -> None:
    [app] = _by_kind(EXAMPLES / "argocd/cmp", "Application")
    plugin = yamlio.load_one((EXAMPLES.parent / "plugins/argocd/plugin.yaml").read_text(), "p")
    assert app["spec"]["source"]["plugin"]["name"] == plugin["metadata"]["name"]
    declared = {p["name"] for p in plugin["spec"]["parameters"]["static"]}
    assert {p["name"] for p in app["spec"]["source"]["plugin"]["parameters"]} <= declared


def test_flux_kustomizations_cover_every_project(gitops_repo: Path) -> None:
    flux = EXAMPLES / "flux"
    [source] = _by_kind(flux, "GitRepository")
    kustomizations = {k["metadata"]["name"]: k for k in _by_kind(flux, "Kustomization")
                      if k["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/")}
    platform = kustomizations.pop("nim-platform")
    assert platform["spec"]["path"] == "./rendered/platform"
    assert sorted(Path(k["spec"]["path"]).name for k in kustomizations.values()) == PROJECTS
    for k in [platform, *kustomizations.values()]:
        assert k["spec"]["sourceRef"] == {"kind": "GitRepository",
                                          "name": source["metadata"]["name"]}
        assert k["spec"]["prune"] is True
        assert kustomize_build(gitops_repo / k["spec"]["path"]).strip()
    for k in kustomizations.values():
        assert k["spec"]["dependsOn"] == [{"name": "nim-platform"}]
    built = yamlio.load_all(kustomize_build(flux), "flux")
    assert len(built) == 2 + len(PROJECTS)


def test_overlay_patches_the_rendered_base(gitops_repo: Path) -> None:
    base = yamlio.load_all(kustomize_build(gitops_repo / "rendered/projects/team-a"), "base")
    built = yamlio.load_all(kustomize_build(gitops_repo / "overlays/team-a"), "overlay")
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, built)) == sorted(map(key, base))
    assert all(o["metadata"]["labels"]["cost-center"] == "ai-4711" for o in built)
    isvc = next(o for o in built if key(o) == ("InferenceService", "llama-8b"))
    before = next(o for o in base if key(o) == ("InferenceService", "llama-8b"))
    predictor = isvc["spec"]["predictor"]
    assert predictor["maxReplicas"] == 4
    assert predictor["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    assert predictor["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert predictor["model"] == before["spec"]["predictor"]["model"]
    others = [o for o in built if key(o) != ("InferenceService", "llama-8b")]
    for obj in others:
        plain = {**obj, "metadata": {**obj["metadata"]}}
        plain["metadata"]["labels"] = {k: v for k, v in obj["metadata"]["labels"].items()
                                       if k != "cost-center"}
        if not plain["metadata"]["labels"]:
            del plain["metadata"]["labels"]
        assert plain in base


def test_krm_function_example_runs_through_its_wrapper(plugin_env: dict[str, str]) -> None:
    """What `kustomize build --enable-alpha-plugins --enable-exec` does with the example."""
    directory = EXAMPLES.parent / "plugins/kustomize/krm-function"
    kustomization = yamlio.load_one((directory / "kustomization.yaml").read_text(), "k")
    [config_file] = kustomization["generators"]
    function_config = yamlio.load_one((directory / config_file).read_text(), "f")
    spec = yamlio.load_one(function_config["metadata"]["annotations"]
                           ["config.kubernetes.io/function"], "fn")
    wrapper = directory / spec["exec"]["path"]
    function_config["metadata"]["annotations"]["config.kubernetes.io/local-config"] = "true"
    stdin = yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                         "items": [function_config], "functionConfig": function_config})
    proc = subprocess.run([str(wrapper)], input=stdin, cwd=directory, env=plugin_env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    items = yamlio.load_one(proc.stdout, "out")["items"]
    rendered = run_cli(["render", str(directory / config_file), "-o", "-"])
    assert rendered.code == 0, rendered.err
    assert items[1:] == yamlio.load_all(rendered.out, "render")


def test_krm_function_wrapper_imports_no_python_from_the_kustomization(
        tmp_path: Path, plugin_env: dict[str, str]) -> None:
    directory = tmp_path / "krm-function"
    shutil.copytree(EXAMPLES.parent / "plugins/kustomize/krm-function", directory)
    (directory / "yaml.py").write_text(HOSTILE_MODULE, "utf-8")
    function_config = yamlio.load_one((directory / "nim-gitops.yaml").read_text(), "f")
    stdin = yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                         "items": [function_config], "functionConfig": function_config})
    proc = subprocess.run([str(directory / "nim-gitops-krm")], input=stdin, cwd=directory,
                          env=plugin_env, capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not (directory / "PWNED").exists()


REGENERATE = EXAMPLES / "maintainers/regenerate.sh"


def _regenerate(checkout: Path, metadata: Path, env: dict[str, str],
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REGENERATE), str(checkout), str(metadata)], env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def test_maintainers_regenerate(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    checkout = tmp_path / "odh-model-controller"
    (checkout / "config/runtimes").mkdir(parents=True)
    proc = _regenerate(checkout, SNAPSHOT, plugin_env)
    assert proc.returncode == 0, proc.stderr
    cm_file = checkout / "config/nim/nim-models-data.yaml"
    template_file = checkout / "config/runtimes/nim-http-template.yaml"
    written = sorted(p.relative_to(checkout).as_posix() for p in checkout.rglob("*")
                     if p.is_file())
    assert written == ["config/nim/nim-models-data.yaml", "config/runtimes/nim-http-template.yaml"]
    [configmap] = _load(cm_file)
    assert configmap["data"] == yamlio.load_one(SNAPSHOT.read_text(), "s")["data"]
    [template] = _load(template_file)
    assert (template["kind"], template["metadata"]["name"]) == ("Template", "nim-http-template")
    assert "NGC_API_KEY" not in template_file.read_text()
    first = {p: p.read_bytes() for p in (cm_file, template_file)}
    assert _regenerate(checkout, SNAPSHOT, plugin_env).returncode == 0
    assert {p: p.read_bytes() for p in (cm_file, template_file)} == first


def test_maintainers_regenerate_leaves_files_alone_on_errors(
        tmp_path: Path, plugin_env: dict[str, str]) -> None:
    checkout = tmp_path / "omc"
    (checkout / "config/nim").mkdir(parents=True)
    (checkout / "config/runtimes").mkdir(parents=True)
    (checkout / "config/nim/nim-models-data.yaml").write_text("old\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '{'}\n")
    proc = _regenerate(checkout, bad, plugin_env)
    assert proc.returncode == 1
    assert (checkout / "config/nim/nim-models-data.yaml").read_text() == "old\n"
    assert sorted(p.name for p in (checkout / "config/nim").iterdir()) == ["nim-models-data.yaml"]
    assert _regenerate(tmp_path / "nothing", SNAPSHOT, plugin_env).returncode == 2
    usage = subprocess.run([str(REGENERATE)], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_flux_helmrelease_builds_with_generated_values(tmp_path: Path,
                                                       plugin_env: dict[str, str]) -> None:
    if not (EXAMPLES.parent / "generator/commands/chart.py").is_file():
        pytest.skip("`nim-gitops values` is not in this checkout yet")
    directory = tmp_path / "helmrelease"
    shutil.copytree(EXAMPLES / "flux/helmrelease", directory)
    values = run_cli(["values", str(CONFIG)])
    assert values.code == 0, values.err
    (directory / "values.yaml").write_text(values.out, "utf-8")
    built = {o["kind"]: o for o in yamlio.load_all(kustomize_build(directory), "hr")}
    configmap = built["ConfigMap"]
    assert configmap["metadata"]["labels"] == {"reconcile.fluxcd.io/watch": "Enabled"}
    assert configmap["data"]["values.yaml"] == values.out
    [ref] = built["HelmRelease"]["spec"]["valuesFrom"]
    assert (ref["name"], ref["valuesKey"]) == (configmap["metadata"]["name"], "values.yaml")
    assert built["HelmRelease"]["spec"]["chartRef"] == {
        "kind": "OCIRepository", "name": built["OCIRepository"]["metadata"]["name"]}
