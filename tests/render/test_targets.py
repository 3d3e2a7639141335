"""Targets: each object of ../shared/spec/platform-today.md §1 appears exactly where that table
puts it, for `current` (today's OpenShift AI) and `redesign` (the proposal)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli

APPS = "redhat-ods-applications"
Key = tuple[str, str, str]  # kind, namespace ("" for cluster objects), name


def _render(write_config: Callable[..., Path], config: dict[str, Any], *args: str,
            ) -> tuple[dict[Key, dict[str, Any]], str]:
    result = run_cli(["render", str(write_config(config)), "-o", "-", *args])
    assert result.code == 0, result.err
    objects = yamlio.load_all(result.out, "render")
    keyed = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
             for o in objects}
    assert len(keyed) == len(objects), "two objects share kind, namespace and name"
    return keyed, result.err


def _platform(objects: dict[Key, dict[str, Any]]) -> set[Key]:
    return {k for k in objects if k[1] in (APPS, "") and k[0] != "Namespace"}


# platform-today.md §1, the applications namespace and the cluster, row by row
CURRENT_CONNECTED = {
    ("Account", APPS, "odh-nim-account"),           # NIM enablement; OMC + dashboard read it
    ("ExternalSecret", APPS, "nvidia-nim-access"),  # the Account's key, from the secret store
    ("OdhDashboardConfig", APPS, "odh-dashboard-config"),  # disableNIMModelServing only
}
CURRENT_AIRGAPPED = {
    ("Account", APPS, "odh-nim-account"),
    # odh-model-controller reads its key even air-gapped: a Secret holding no key
    ("Secret", APPS, "nvidia-nim-access"),
    ("ConfigMap", APPS, "odh-nim-account-cm"),      # the admin supplies it in air-gap mode
    ("DataScienceCluster", "", "default-dsc"),      # spec.components.kserve.nim.airGapped
    ("OdhDashboardConfig", APPS, "odh-dashboard-config"),
    ("ImageTagMirrorSet", "", "nim-nvcr-mirror"),
}
REDESIGN_CONNECTED = {
    ("ConfigMap", APPS, "nim-models-data"),
    ("Template", APPS, "nim-http-template"),
    ("OdhDashboardConfig", APPS, "odh-dashboard-config"),  # spec.nimConfig
}
REDESIGN_AIRGAPPED = {
    ("ConfigMap", APPS, "nim-models-data-airgap"),
    ("Template", APPS, "nim-http-template"),
    ("OdhDashboardConfig", APPS, "odh-dashboard-config"),
    ("ImageTagMirrorSet", "", "nim-nvcr-mirror"),
}


@pytest.mark.parametrize(("target", "air_gapped", "expected"), [
    ("current", False, CURRENT_CONNECTED),
    ("current", True, CURRENT_AIRGAPPED),
    ("redesign", False, REDESIGN_CONNECTED),
    ("redesign", True, REDESIGN_AIRGAPPED),
])
def test_platform_objects_are_where_the_table_says(
        write_config: Callable[..., Path], base_config: dict[str, Any], target: str,
        air_gapped: bool, expected: set[Key]) -> None:
    base_config["spec"]["platform"] = {"target": target}
    if air_gapped:
        base_config["spec"]["airGap"] = {"mirror": "mirror.example.com/nvcr"}
        base_config["spec"]["secrets"] = {"provider": "none"}
    objects, _ = _render(write_config, base_config)
    assert _platform(objects) == expected
    dashboard = objects[("OdhDashboardConfig", APPS, "odh-dashboard-config")]
    if target == "current":
        # today's CRD has no spec.nimConfig: only its one NIM field is rendered
        assert dashboard["spec"] == {"dashboardConfig": {"disableNIMModelServing": False}}
    else:
        assert dashboard["spec"]["nimConfig"]["disconnected"] == {
            "disableKeyCollection": air_gapped}


def test_connected_current_never_owns_the_controllers_configmap(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    """Connected, odh-model-controller force-applies odh-nim-account-cm: Git must not own it."""
    base_config["spec"]["platform"] = {"catalog": {"models": ["llama-3.1-8b-instruct"]}}
    base_config["spec"]["secrets"]["scope"] = "project"
    objects, _ = _render(write_config, base_config)
    assert not [k for k in objects if k[2] == "odh-nim-account-cm"]
    assert not [k for k in objects if k[2] == "nim-models-data"]


@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("config", sorted(EXAMPLES.glob("*/nim-gitops.yaml")),
                         ids=lambda p: p.parent.name)
def test_no_template_is_offered_as_a_generic_runtime(config: Path, target: str) -> None:
    """Today's dashboard lists any Template labelled dashboard or ootb as a serving runtime."""
    result = run_cli(["render", str(config), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    templates = [o for o in yamlio.load_all(result.out, "render") if o["kind"] == "Template"]
    assert bool(templates) == (target == "redesign")
    for template in templates:
        labels = template["metadata"].get("labels", {})
        assert "opendatahub.io/dashboard" not in labels
        assert "opendatahub.io/ootb" not in labels


def test_allow_list_becomes_the_accounts_model_list(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    allow = ["nv-embedqa-e5-v5", "llama-3.1-8b-instruct"]
    base_config["spec"]["platform"] = {"catalog": {"models": allow}}
    objects, _ = _render(write_config, base_config)
    account = objects[("Account", APPS, "odh-nim-account")]
    ref = account["spec"]["modelListConfig"]["name"]
    model_list = objects[("ConfigMap", APPS, ref)]
    # odh-model-controller reads data.models as a JSON array of model names
    assert json.loads(model_list["data"]["models"]) == allow
    base_config["spec"]["platform"] = {}
    objects, _ = _render(write_config, base_config)
    assert "modelListConfig" not in objects[("Account", APPS, "odh-nim-account")]["spec"]
    assert not [k for k in objects if k[0] == "ConfigMap"]


@pytest.mark.parametrize("provider", ["external-secrets", "vault"])
def test_the_accounts_key_comes_from_the_secret_manager(
        write_config: Callable[..., Path], base_config: dict[str, Any], provider: str) -> None:
    base_config["spec"]["secrets"] = {
        "provider": provider,
        "externalSecrets": {"storeRef": {"name": "ngc-keys"},
                            "accountRemoteRef": {"key": "admin/ngc", "property": "k"}},
        "vault": {"accountPath": "admin/ngc"}}
    objects, _ = _render(write_config, base_config)
    account = objects[("Account", APPS, "odh-nim-account")]
    secret = account["spec"]["apiKeySecret"]["name"]
    kind = "ExternalSecret" if provider == "external-secrets" else "VaultStaticSecret"
    scaffold = objects[(kind, APPS, secret)]
    if provider == "external-secrets":
        assert scaffold["spec"]["data"][0]["remoteRef"]["key"] == "admin/ngc"
        # the controller reads data key api_key of the Secret the Account names
        assert "api_key" in scaffold["spec"]["target"]["template"]["data"]
    else:
        assert scaffold["spec"]["path"] == "admin/ngc"
        assert "api_key" in scaffold["spec"]["destination"]["transformation"]["templates"]
        assert "rolloutRestartTargets" not in scaffold["spec"]
    assert not [k for k in objects if k[2] == "ngc-secret" or k[2].endswith("-pull")]


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_project_scope_shares_the_wizards_secrets(
        write_config: Callable[..., Path], base_config: dict[str, Any], target: str) -> None:
    base_config["spec"]["platform"] = {"target": target}
    base_config["spec"]["secrets"]["scope"] = "project"
    base_config["spec"]["projects"][0]["deployments"].append(
        {"name": "mistral", "model": "mistral-7b-instruct-v0.3"})
    objects, err = _render(write_config, base_config)
    project = {k for k in objects if k[1] == "team-a"}
    scaffolds = {k[2] for k in project if k[0] == "ExternalSecret"}
    # on current the project Account's controller writes the pull Secret, as for the wizard
    pull = "odh-nim-account-pull" if target == "current" else "ngc-secret"
    assert scaffolds == ({"nvidia-nim-secrets"} if target == "current"
                         else {"nvidia-nim-secrets", "ngc-secret"})
    key = objects[("ExternalSecret", "team-a", "nvidia-nim-secrets")]["spec"]["target"]
    assert key["template"]["type"] == "Opaque"
    assert set(key["template"]["data"]) == {"api_key", "NGC_API_KEY"}
    assert key["template"]["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    for name in ("llama-8b", "mistral"):
        runtime = objects[("ServingRuntime", "team-a", name)]["spec"]
        assert runtime["imagePullSecrets"] == [{"name": pull}]
        env = {e["name"]: e for e in runtime["containers"][0]["env"]}
        assert env["NGC_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "nvidia-nim-secrets"
    accounts = [k for k in project if k[0] == "Account"]
    if target == "current":
        # the wizard finds the project's key through this Account, by name
        assert accounts == [("Account", "team-a", "odh-nim-account")]
        account = objects[accounts[0]]
        assert account["spec"]["apiKeySecret"] == {"name": "nvidia-nim-secrets"}
    else:
        assert accounts == []
        assert "no project Account" in err


def test_project_scope_vault_restarts_every_predictor_of_the_project(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"] = {"provider": "vault", "scope": "project",
                                      "vault": {"projectPath": "teams/{project}/ngc"}}
    base_config["spec"]["projects"][0]["deployments"].append(
        {"name": "mistral", "model": "mistral-7b-instruct-v0.3"})
    objects, _ = _render(write_config, base_config)
    key = objects[("VaultStaticSecret", "team-a", "nvidia-nim-secrets")]["spec"]
    assert key["path"] == "teams/team-a/ngc"
    assert key["rolloutRestartTargets"] == [
        {"kind": "Deployment", "name": "llama-8b-predictor"},
        {"kind": "Deployment", "name": "mistral-predictor"}]


def test_air_gapped_project_scope_copies_the_model_list_into_the_project(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    """The wizard reads the model list from its Account's own namespace."""
    base_config["spec"]["airGap"] = {"mirror": "mirror.example.com/nvcr"}
    base_config["spec"]["secrets"] = {"provider": "none", "scope": "project"}
    objects, _ = _render(write_config, base_config)
    apps = objects[("ConfigMap", APPS, "odh-nim-account-cm")]
    project = objects[("ConfigMap", "team-a", "odh-nim-account-cm")]
    assert apps["data"] == project["data"]
    assert list(apps["data"]) == ["llama-3.1-8b-instruct"]


def test_unmanaged_account_and_custom_cluster_name(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"account": {"manage": False},
                                      "dataScienceCluster": "my-dsc",
                                      "dashboard": {"disconnected": True}}
    objects, _ = _render(write_config, base_config)
    assert not [k for k in objects if k[0] == "Account"]
    assert not [k for k in objects if k[2] == "nvidia-nim-access"]
    assert ("DataScienceCluster", "", "my-dsc") in objects
    # nobody else writes the model list in disconnected mode, Account or not
    assert ("ConfigMap", APPS, "odh-nim-account-cm") in objects


def test_runtime_template_name_is_what_each_dashboard_writes(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    name = "opendatahub.io/template-name"
    current, _ = _render(write_config, base_config)
    redesign, _ = _render(write_config, base_config, "--target", "redesign")
    key = ("ServingRuntime", "team-a", "llama-8b")
    # today's wizard records the runtime's own name on every edit (deployServer.ts, #9688)
    assert current[key]["metadata"]["annotations"][name] == "llama-8b"
    assert current[key]["metadata"]["annotations"]["opendatahub.io/template-display-name"] == \
        current[key]["metadata"]["annotations"]["openshift.io/display-name"] == "llama-8b"
    assert redesign[key]["metadata"]["annotations"][name] == "nim-http-template"


def test_settings_the_target_does_not_read_are_reported(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    base_config["spec"]["platform"] = {"templates": ["grpc"],
                                      "catalog": {"configMapName": "mine"}}
    _, err = _render(write_config, base_config)
    assert "spec.platform.catalog.configMapName" in err
    assert "spec.platform.templates" in err
    _, err = _render(write_config, base_config, "--target", "redesign")
    assert "warning" not in err


def test_init_writes_the_target_and_values_carry_the_override(tmp_path: Path) -> None:
    config = tmp_path / "nim-gitops.yaml"
    assert run_cli(["init", str(config)]).code == 0
    spec = yamlio.load_one(config.read_text("utf-8"), str(config))["spec"]
    assert spec["platform"]["target"] == "current"
    values = run_cli(["values", str(config), "--target", "redesign"])
    assert values.code == 0, values.err
    assert yamlio.load_one(values.out, "values")["platform"]["target"] == "redesign"


def test_unknown_target_is_a_usage_error_and_a_config_error(
        write_config: Callable[..., Path], base_config: dict[str, Any]) -> None:
    path = write_config(base_config)
    assert run_cli(["render", str(path), "-o", "-", "--target", "future"]).code == 2
    base_config["spec"]["platform"] = {"target": "future"}
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1
    assert "spec.platform.target" in result.err and len(result.err.splitlines()) == 1


def test_placeholders_are_checked_per_scope(write_config: Callable[..., Path],
                                            base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"]["externalSecrets"]["projectRemoteRef"] = {
        "key": "nim/{project}/{deployment}"}
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1
    assert "spec.secrets.externalSecrets.projectRemoteRef.key" in result.err
    assert "{deployment}" in result.err
