"""Never own what is not ours: platform namespaces, PVC names the dashboard deletes, and
objects of the dashboard and the operator that uninstalling must leave in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import run_cli


@pytest.mark.parametrize("name", ["default", "kube-system", "openshift", "openshift-config",
                                  "redhat-ods-applications", "redhat-ods-monitoring"])
def test_platform_namespaces_are_refused_as_managed_projects(
        write_config: Callable[..., Path], base_config: dict[str, Any], name: str) -> None:
    base_config["spec"]["projects"][0]["name"] = name
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "spec.projects[0].name" in result.err and "namespace.manage: false" in result.err
    assert result.out == ""
    # deploying into it without owning the Namespace is allowed
    base_config["spec"]["projects"][0]["namespace"] = {"manage": False}
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 0, result.err
    kinds = {o["kind"] for o in yamlio.load_all(result.out, "render")}
    assert "Namespace" not in kinds and "InferenceService" in kinds


def test_the_configs_own_applications_namespace_is_refused(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"namespace": "opendatahub"}
    base_config["spec"]["projects"][0]["name"] = "opendatahub"
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1 and "opendatahub" in result.err


def test_deployment_names_the_dashboard_would_delete_the_cache_of(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["projects"][0]["deployments"][0]["name"] = "nim-pvc-llama"
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1
    assert "spec.projects[0].deployments[0].name" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("tag", ["1.15", "1"])
def test_short_tags_warn_that_the_dashboard_cannot_find_the_image(
        write_config: Callable[..., Path], base_config: dict[str, Any], tag: str) -> None:
    dep = base_config["spec"]["projects"][0]["deployments"][0]
    dep.update(tag=tag, allowFloatingTags=True, model="llama-3.1-8b-instruct")
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 0, result.err
    assert "existing NIM image was not found" in result.err
    assert "spec.projects[0].deployments[0].tag" in result.err
    dep.update(tag="1.15.5")
    assert "not found" not in run_cli(["render", str(write_config(base_config)), "-o", "-"]).err


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_uninstalling_never_deletes_the_dashboard_or_cluster_config(
        write_config: Callable[..., Path], base_config: dict[str, Any], target: str) -> None:
    base_config["spec"]["platform"] = {"target": target, "dashboard": {"disconnected": True}}
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 0, result.err
    shared = [o for o in yamlio.load_all(result.out, "render")
              if o["kind"] in ("OdhDashboardConfig", "DataScienceCluster")]
    assert shared
    for obj in shared:
        annotations = obj["metadata"]["annotations"]
        assert annotations["helm.sh/resource-policy"] == "keep"
        assert "Prune=false" in annotations["argocd.argoproj.io/sync-options"]
        assert annotations["kustomize.toolkit.fluxcd.io/prune"] == "disabled"
