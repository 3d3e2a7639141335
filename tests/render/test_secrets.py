"""Secret scaffolds: External Secrets and Vault Secrets Operator objects, never key material."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.models import PLACEHOLDER_KEY
from generator.render.env import go_duration
from tests.helpers import EXAMPLES, FAKE_KEY, run_cli
from tests.render.test_objects import render


def test_external_secrets_shape_both_secrets(write_config: Callable[..., Path],
                                             base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"]["externalSecrets"].update(
        refreshInterval="90m", remoteRef={"key": "ngc/{project}/{deployment}", "property": "k"})
    objs = render(write_config, base_config)
    api = objs[("ExternalSecret", "nim-api-key-llama-8b")]
    pull = objs[("ExternalSecret", "nim-image-pull-llama-8b")]
    for es in (api, pull):
        assert es["apiVersion"] == "external-secrets.io/v1"
        assert es["metadata"]["namespace"] == "team-a"
        assert int(es["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < 0
        assert es["spec"]["refreshInterval"] == "1h30m0s"
        assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "ngc-keys"}
        assert es["spec"]["target"]["name"] == es["metadata"]["name"]
        assert es["spec"]["target"]["template"]["metadata"]["labels"] == {
            "opendatahub.io/managed": "true"}
        assert es["spec"]["data"] == [{"secretKey": "apiKey", "remoteRef": {
            "key": "ngc/team-a/llama-8b", "property": "k", "conversionStrategy": "Default",
            "decodingStrategy": "None", "metadataPolicy": "None"}}]
    assert api["spec"]["target"]["template"]["type"] == "Opaque"
    assert set(api["spec"]["target"]["template"]["data"]) == {"NGC_API_KEY", "api_key"}
    pull_template = pull["spec"]["target"]["template"]
    assert pull_template["type"] == "kubernetes.io/dockerconfigjson"
    dockerconfig = pull_template["data"][".dockerconfigjson"]
    assert '"username":"$oauthtoken"' in dockerconfig
    assert '"password":"{{ .apiKey }}"' in dockerconfig
    assert "b64enc" in dockerconfig


def test_per_deployment_remote_ref_override(write_config: Callable[..., Path],
                                            base_config: dict[str, Any]) -> None:
    base_config["spec"]["projects"][0]["deployments"][0]["apiKey"] = {
        "remoteRef": {"key": "shared/{project}", "property": "ngc"}}
    es = render(write_config, base_config)[("ExternalSecret", "nim-api-key-llama-8b")]
    assert es["spec"]["data"][0]["remoteRef"]["key"] == "shared/team-a"
    assert es["spec"]["data"][0]["remoteRef"]["property"] == "ngc"


def test_vault_static_secrets(write_config: Callable[..., Path],
                              base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"] = {"provider": "vault", "scope": "deployment", "vault": {
        "mount": "kv", "path": "teams/{project}/{deployment}", "key": "ngc",
        "vaultAuthRef": "nim-auth", "refreshAfter": "30m"}}
    objs = render(write_config, base_config)
    api = objs[("VaultStaticSecret", "nim-api-key-llama-8b")]
    pull = objs[("VaultStaticSecret", "nim-image-pull-llama-8b")]
    for vss in (api, pull):
        spec = vss["spec"]
        assert vss["apiVersion"] == "secrets.hashicorp.com/v1beta1"
        assert (spec["mount"], spec["type"], spec["path"]) == ("kv", "kv-v2",
                                                                "teams/team-a/llama-8b")
        assert spec["vaultAuthRef"] == "nim-auth" and spec["refreshAfter"] == "30m"
        assert spec["destination"]["name"] == vss["metadata"]["name"]
        assert spec["destination"]["labels"] == {"opendatahub.io/managed": "true"}
    assert api["spec"]["rolloutRestartTargets"] == [{"kind": "Deployment",
                                                     "name": "llama-8b-predictor"}]
    assert "rolloutRestartTargets" not in pull["spec"]
    templates = api["spec"]["destination"]["transformation"]["templates"]
    assert set(templates) == {"NGC_API_KEY", "api_key"}
    assert '"ngc"' in templates["NGC_API_KEY"]["text"]
    assert pull["spec"]["destination"]["type"] == "kubernetes.io/dockerconfigjson"


def test_vault_without_rollout_restart(write_config: Callable[..., Path],
                                       base_config: dict[str, Any]) -> None:
    base_config["spec"]["secrets"] = {"provider": "vault", "scope": "deployment",
                                      "vault": {"rolloutRestart": False}}
    api = render(write_config, base_config)[("VaultStaticSecret", "nim-api-key-llama-8b")]
    assert "rolloutRestartTargets" not in api["spec"]
    assert api["spec"]["path"] == "nim/team-a/llama-8b"


def test_airgap_forces_provider_none_with_a_warning(write_config: Callable[..., Path],
                                                    base_config: dict[str, Any]) -> None:
    base_config["spec"]["airGap"] = {"mirror": "registry.example.com/nvcr"}
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 0
    assert "warning:" in result.err and "secrets.provider" in result.err
    assert "nim-api-key" not in result.out and "ExternalSecret" not in result.out


@pytest.mark.parametrize("config", sorted(EXAMPLES.glob("*/nim-gitops.yaml")),
                         ids=lambda p: p.parent.name)
def test_output_survives_flux_substitution_and_has_no_secrets(config: Path) -> None:
    """No `${` for Flux to substitute, and no core Secret but an air-gapped Account's, which
    holds the placeholder and nothing else, and token auth's service-account-token Secrets,
    which hold nothing at all: Kubernetes writes the token into them on the cluster."""
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0
    assert "${" not in result.out
    for obj in yamlio.load_all(result.out, "stdout"):
        if obj["kind"] == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
            assert not {"data", "stringData"} & set(obj), obj
        elif obj["kind"] == "Secret":
            assert set(obj["stringData"].values()) == {PLACEHOLDER_KEY}, obj
            assert "data" not in obj


def test_no_key_material_reaches_output_from_any_channel(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(FAKE_KEY)
    env = {"NGC_API_KEY": FAKE_KEY, "NGC_API_KEY_FILE": str(key_file)}
    for config in sorted(EXAMPLES.glob("*/nim-gitops.yaml")):
        out = tmp_path / config.parent.name
        result = run_cli(["render", str(config), "-o", str(out)], env=env, input=FAKE_KEY)
        assert result.code == 0
        assert FAKE_KEY not in result.out + result.err
        for path in out.rglob("*"):
            if path.is_file():
                assert FAKE_KEY not in path.read_text()
                assert "nvapi-" not in path.read_text()


@pytest.mark.parametrize(("text", "expected"), [
    ("1h", "1h0m0s"), ("30m", "30m0s"), ("45s", "45s"), ("90m", "1h30m0s"), ("1h0m0s", "1h0m0s"),
    ("0s", "0s"), ("500ms", "500ms"), ("1.5h", "1h30m0s"), ("2h3m4s", "2h3m4s")])
def test_durations_are_written_as_the_api_server_prints_them(text: str, expected: str) -> None:
    assert go_duration(text) == expected


def test_secret_operator_templates_are_plain_strings(write_config: Callable[..., Path],
                                                     base_config: dict[str, Any]) -> None:
    es = render(write_config, base_config)[("ExternalSecret", "nim-api-key-llama-8b")]
    data = es["spec"]["target"]["template"]["data"]
    assert data == {"NGC_API_KEY": "{{ .apiKey }}", "api_key": "{{ .apiKey }}"}
    assert json.dumps(data)
