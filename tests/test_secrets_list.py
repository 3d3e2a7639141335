"""`nim-gitops secrets list CONFIG`: the store entries to create before the first sync, read
off the secret scaffolds the render writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import EXAMPLES, run_cli

TEAMS = EXAMPLES / "teams/nim-gitops.yaml"


def _json(config: Path, *extra: str) -> dict[str, Any]:
    result = run_cli(["secrets", "list", str(config), "--format", "json", *extra])
    assert result.code == 0, result.err
    found: dict[str, Any] = json.loads(result.out)
    return found


def _config(tmp_path: Path, base: Path, edit: dict[str, Any]) -> Path:
    """`base` with `edit` merged into its spec, written beside nothing else."""
    data = yaml.safe_load(base.read_text("utf-8"))

    def merge(into: dict[str, Any], add: dict[str, Any]) -> None:
        for key, value in add.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(data["spec"], edit)
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def test_each_team_has_its_own_entry_and_the_account_its_own() -> None:
    result = run_cli(["secrets", "list", str(TEAMS)])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (f"{TEAMS}: 4 secret-store entries to create, each holding an NGC API "
                        "key (nvapi-...) before the first sync:")
    heads = [line for line in lines if line.startswith("ClusterSecretStore")]
    assert heads == [
        "ClusterSecretStore ngc-keys: platform/ngc  property api_key",
        "ClusterSecretStore ngc-keys: teams/team-search/ngc  property api_key",
        "ClusterSecretStore ngc-keys: teams/team-support/ngc  property api_key",
        "ClusterSecretStore ngc-keys: teams/team-research/ngc  property api_key",
    ]
    block = result.out[result.out.index("teams/team-support/ngc"):]
    assert block.splitlines()[1:4] == [
        "  fills team-support/nvidia-nim-secrets (NGC_API_KEY)",
        "    read by Account/odh-nim-account (odh-model-controller checks the key with NGC "
        "and writes the pull Secret odh-nim-account-pull from it)",
        "    read by ServingRuntime/mistral (the NIM predictor pod, through KServe)",
    ]
    assert lines[-1] == ("note: nvidia-nim-secrets is also read by the runtimes the "
                         "dashboard's wizard creates in that project")


def test_json_names_the_store_key_property_and_readers() -> None:
    found = _json(TEAMS)
    assert found["schemaVersion"] == 1 and found["provider"] == "external-secrets"
    assert found["reason"] is None
    entry = found["entries"][1]
    assert entry == {
        "store": {"kind": "ClusterSecretStore", "name": "ngc-keys"},
        "key": "teams/team-search/ngc", "property": "api_key", "version": None,
        "secrets": [{"namespace": "team-search", "name": "nvidia-nim-secrets",
                     "type": "Opaque", "role": "NGC_API_KEY",
                     "readers": ["Account/odh-nim-account", "ServingRuntime/llama-8b"]}],
    }


def test_the_entries_are_what_the_render_asks_the_store_for(tmp_path: Path) -> None:
    """Every ExternalSecret of the render reads an entry the list names, and no other."""
    rendered = run_cli(["render", str(TEAMS), "-o", "-"]).out
    asked = {(d["spec"]["data"][0]["remoteRef"]["key"], d["metadata"]["namespace"],
              d["spec"]["target"]["name"])
             for d in yaml.safe_load_all(rendered) if d and d["kind"] == "ExternalSecret"}
    listed = {(e["key"], s["namespace"], s["name"])
              for e in _json(TEAMS)["entries"] for s in e["secrets"]}
    assert asked == listed and len(asked) == 4


def test_scope_deployment_lists_the_key_and_pull_secret_of_each_deployment(
        tmp_path: Path) -> None:
    config = _config(tmp_path, TEAMS, {"secrets": {"scope": "deployment", "externalSecrets": {
        "storeRef": {"kind": "SecretStore", "name": "team-keys"}, "pinVersion": True}},
        "projects": [{"name": "team-search", "deployments": [
            {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
             "keyRevision": 3,
             "apiKey": {"remoteRef": {"key": "shared/llama", "property": "ngc"}}}]}]})
    entries = _json(config)["entries"]
    own = next(e for e in entries if e["key"] == "shared/llama")
    assert own["store"] == {"kind": "SecretStore", "name": "team-keys",
                            "namespace": "team-search"}
    assert own["property"] == "ngc" and own["version"] == "3"
    assert [(s["name"], s["role"]) for s in own["secrets"]] == [
        ("nim-api-key-llama-8b", "NGC_API_KEY"), ("nim-image-pull-llama-8b",
                                                  "nvcr.io pull secret")]
    text = run_cli(["secrets", "list", str(config)]).out
    assert "SecretStore team-search/team-keys: shared/llama  property ngc  version 3\n" in text


def test_vault_entries_say_how_to_create_them() -> None:
    config = EXAMPLES / "multi-project/nim-gitops.yaml"
    text = run_cli(["secrets", "list", str(config)]).out
    assert ("Vault mount secret (kv-v2, VaultAuth nim-vault-auth): shared/team-b  property ngc\n"
            "  create: vault kv put -mount=secret shared/team-b ngc=- (reads the key from "
            "stdin; kv patch keeps the entry's other fields)\n") in text
    assert [e["key"] for e in _json(config)["entries"]] == [
        "nim/team-a/llama-8b", "nim/team-a/embed", "shared/team-b"]


@pytest.mark.parametrize(("edit", "reason"), [
    ({"airGap": {"mirror": "registry.example.com/nvcr"}},
     "spec.airGap is set: images come from the mirror and the cluster's global pull secret, "
     "and no NGC key is fetched (spec.secrets.provider external-secrets is ignored)"),
    ({"secrets": {"provider": "none"}},
     "spec.secrets.provider is none: nim-gitops writes no secret scaffolds and no deployment "
     "names a key Secret; choose external-secrets or vault to have keys fetched from a store"),
])
def test_no_entries_says_why(tmp_path: Path, edit: dict[str, Any], reason: str) -> None:
    config = _config(tmp_path, TEAMS, edit)
    result = run_cli(["secrets", "list", str(config)])
    assert result.code == 0, result.err
    assert result.out == f"{config}: no secret-store entries: {reason}\n"
    found = _json(config)
    assert found["entries"] == [] and found["reason"] == reason


def test_an_invalid_config_is_one_line_naming_the_field(tmp_path: Path) -> None:
    config = _config(tmp_path, TEAMS, {"secrets": {"provider": "vault-secrets"}})
    result = run_cli(["secrets", "list", str(config)])
    assert result.code == 1
    assert result.err.startswith(f"error: {config}:") and "spec.secrets.provider" in result.err
    assert result.out == ""
