"""Warnings before harm, each one line naming the fix, in `render`, `config check` and `plan`;
and the "not a tag" error that says how to refresh the catalog."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, one_error_line, run_cli
from tests.plan.conftest import BASE, CONFIG, commit, git

Checkout = Callable[[str], Path]
PLAIN = BASE.replace("    catalog:\n      file: nim-models-data.yaml\n"
                     "      extended: nim-models-details.json\n", "")
REMOVED = (
    "warning: managed Namespace team-b is no longer rendered: Argo CD or Flux will delete it "
    "and everything in it; to keep it, annotate it on the cluster with "
    "argocd.argoproj.io/sync-options=Prune=false (Argo CD) or "
    "kustomize.toolkit.fluxcd.io/prune=disabled (Flux) before this syncs, or keep project "
    "team-b in the config")
ADOPTED = (
    "warning: project team-b: namespace.manage: true adopts an existing namespace ({why}): Argo "
    "CD or Flux will own it and delete it, with everything in it, if the project is ever "
    "removed; keep namespace.manage: false unless it should live and die with the project")
UNMANAGED = PLAIN.replace("  - name: team-b\n",
                          "  - name: team-b\n    namespace: {manage: false}\n")
WITHOUT_TEAM_B = PLAIN[:PLAIN.index("  - name: team-b\n")]


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_render_warns_when_a_managed_namespace_disappears(tmp_path: Path) -> None:
    config, out = tmp_path / CONFIG, tmp_path / "out"
    config.write_text(PLAIN, "utf-8")
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    config.write_text(WITHOUT_TEAM_B, "utf-8")
    for extra in (["--diff"], []):  # said before anything is written, and when it is
        result = run_cli(["render", str(config), "-o", str(out), *extra])
        assert REMOVED in warnings(result.err)
    assert not (out / "projects/team-b").exists()
    again = run_cli(["render", str(config), "-o", str(out)])
    assert again.code == 0 and warnings(again.err) == []


def test_render_warns_when_a_namespace_it_deployed_into_becomes_managed(tmp_path: Path) -> None:
    config, out = tmp_path / CONFIG, tmp_path / "out"
    config.write_text(UNMANAGED, "utf-8")
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    config.write_text(PLAIN, "utf-8")
    result = run_cli(["render", str(config), "-o", str(out)])
    assert result.code == 0
    why = f"{out}/projects/team-b held its objects without a Namespace"
    assert warnings(result.err) == [ADOPTED.format(why=why)]
    fresh = run_cli(["render", str(config), "-o", str(tmp_path / "fresh")])
    assert warnings(fresh.err) == []  # a new tree adopts nothing Git knows of


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    commit(tmp_path, "unmanaged", UNMANAGED)
    commit(tmp_path, "managed", PLAIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_and_config_check_warn_about_adoption(repo: Path) -> None:
    line = ADOPTED.format(why="the base deploys into it without managing it")
    result = run_cli(["plan", CONFIG, "--base", "unmanaged"])
    assert result.code == 0 and line in result.out.splitlines()
    check = run_cli(["config", "check", CONFIG, "--base", "unmanaged"])
    assert check.code == 0 and warnings(check.err) == [line]
    assert warnings(run_cli(["config", "check", CONFIG]).err) == []  # no base, nothing known


def test_plan_and_config_check_warn_about_a_removed_namespace(repo: Path) -> None:
    (repo / CONFIG).write_text(WITHOUT_TEAM_B, "utf-8")
    check = run_cli(["config", "check", CONFIG, "--base", "managed"])
    assert check.code == 0 and warnings(check.err) == [REMOVED]
    result = run_cli(["plan", CONFIG, "--base", "managed"])
    assert "DANGER: " + REMOVED.removeprefix("warning: ") in result.out.splitlines()


AIRGAP_LINE = (
    "warning: {config}:{line} spec.projects[0].deployments[{index}].cache: air-gapped and no "
    "cache.source, so the NIM would download its weights from NGC, which the cluster cannot "
    "reach; mirror them (`nim-gitops airgap images --weights`) and name where in cache.source")


def test_air_gapped_deployments_without_a_cache_source_warn_everywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = (EXAMPLES / "air-gapped" / "nim-gitops.yaml").read_text("utf-8")
    assert example.count("      cache:\n") == 2  # the example mirrors both; this one does not
    example = re.sub(r"      cache:\n        source: \{pvc: [a-z0-9-]+\}\n", "", example)
    git(tmp_path, "init", "-q")
    commit(tmp_path, "base", example)
    monkeypatch.chdir(tmp_path)
    starts = [n for n, line in enumerate(example.splitlines(), 1) if line.startswith("    - ")]
    expected = [AIRGAP_LINE.format(config=CONFIG, line=line, index=index)
                for index, line in enumerate(starts)]
    render = run_cli(["render", CONFIG, "-o", "out"])
    check = run_cli(["config", "check", CONFIG])
    assert render.code == check.code == 0
    assert warnings(render.err) == warnings(check.err) == expected
    plan = run_cli(["plan", CONFIG])
    assert [line.replace("warning: ", "", 1) for line in expected] == [
        line.removeprefix("warning: ") for line in plan.out.splitlines()
        if line.startswith("warning: ")]


def test_a_mirrored_cache_does_not_warn(tmp_path: Path) -> None:
    # examples/air-gapped names a cache.source for each deployment
    config = EXAMPLES / "air-gapped" / "nim-gitops.yaml"
    result = run_cli(["config", "check", str(config)])
    assert result.code == 0 and warnings(result.err) == []


@pytest.mark.parametrize(("catalog", "fix"), [
    (None, "; if NGC has it, the embedded sample catalog is older: build one with `nim-gitops "
           "metadata generate -o nim-models-data.yaml` and set spec.platform.catalog.file to it"),
    ("catalogs/nim.yaml", "; if NGC has it, the catalog is older: refresh it with `nim-gitops "
                          "metadata generate -o catalogs/nim.yaml`"),
])
def test_a_tag_newer_than_the_catalog_says_how_to_refresh_it(
        tmp_path: Path, catalog: str | None, fix: str) -> None:
    from generator.catalog import sample_catalog_text

    text = PLAIN.replace("tag: 1.15.4", "tag: 1.16.0")
    if catalog:
        (tmp_path / "catalogs").mkdir()
        (tmp_path / catalog).write_text(sample_catalog_text(), "utf-8")
        text = text.replace("  platform:\n    target: current\n",
                            f"  platform:\n    target: current\n    catalog: {{file: {catalog}}}\n")
    config = tmp_path / CONFIG
    config.write_text(text, "utf-8")
    line = 18 if catalog else 17
    assert one_error_line(run_cli(["config", "check", str(config)]), 1) == (
        f'error: {config}:{line} spec.projects[0].deployments[0].tag: "1.16.0" is not a tag of '
        '"llama-3.1-8b-instruct" (known: latest, 1.15.5, 1.15.4, 1.15, 1.13.1, 1.12.0)' + fix)


def test_an_older_unknown_tag_is_a_typo_not_a_stale_catalog(tmp_path: Path) -> None:
    config = tmp_path / CONFIG
    config.write_text(PLAIN.replace("tag: 1.15.4", "tag: 1.14.9"), "utf-8")
    line = one_error_line(run_cli(["config", "check", str(config)]), 1)
    assert line.endswith("(known: latest, 1.15.5, 1.15.4, 1.15, 1.13.1, 1.12.0)")


ROUTE = ("warning: InferenceService team-a/embed becomes reachable from outside the cluster "
         "(externalRoute: true){guard}")


@pytest.mark.parametrize(("options", "guard"), [
    ("      externalRoute: true\n", " without token auth (set tokenAuth to require one)"),
    ("      externalRoute: true\n      tokenAuth: true\n", ""),
])
def test_plan_names_a_new_external_route(repo: Path, options: str, guard: str) -> None:
    # issue 28: a route that makes a predictor reachable from outside is a reviewer's finding
    routed = PLAIN.replace("      tag: 1.10.1\n", "      tag: 1.10.1\n" + options)
    (repo / CONFIG).write_text(routed, "utf-8")
    result = run_cli(["plan", CONFIG, "--base", "managed"])
    assert result.code == 0, result.err
    line = ROUTE.format(guard=guard)
    assert line in result.out.splitlines()
    commit(repo, "routed", routed)  # routed on both sides: nothing new to say
    assert line not in run_cli(["plan", CONFIG, "--base", "routed"]).out.splitlines()
