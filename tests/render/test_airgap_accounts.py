"""An air-gapped render's Accounts become ready with no NGC key anywhere.

`_reconcile` follows odh-model-controller's Account reconcile as of 57b43aad (2026-07-23, the
newest commit of opendatahub-io/odh-model-controller; paths under internal/controller/):

- `nim/account_controller.go:177` reads the air-gap flag (`utils/nim.go:142-166`
  `IsNimAirGapped`: exactly one DataScienceCluster, `spec.components.kserve.nim.airGapped`);
- air-gapped, the validation handler marks the key valid without reading it
  (`nim/handlers/validation_handler.go:49`) and the ConfigMap handler points
  `status.nimConfig` at `<account>-cm` in the applications namespace
  (`nim/handlers/configmap_handler.go:54-58`);
- the pull-secret handler still reads the key (`nim/handlers/pull_secret_handler.go:107`
  `GetAPIKey`): the Secret `spec.apiKeySecret` names, in `spec.apiKeySecret.namespace` or the
  Account's namespace, must exist (`nim/handlers/api_key_manager.go:92-118`, else the
  Account's model list and Template are deleted and the Account fails) and must have data key
  `api_key` (`api_key_manager.go:71`);
- then the Account is healthy (`account_controller.go:224`) and the controller has written
  `<account>-pull` beside it.

The dashboard's wizard then needs, in the project (platform-today.md §5.1b): the Account
`odh-nim-account`, the model list its status names in the Account's namespace, and
`status.nimPullSecret`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.models import PLACEHOLDER_KEY
from generator.validate.rules.secrets import KEY
from tests.helpers import EXAMPLES, run_cli

APPS = "redhat-ods-applications"
Objects = dict[tuple[str, str, str], dict[str, Any]]


def _objects(config: Path) -> Objects:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
            for o in yamlio.load_all(result.out, "render")}


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    """What the API server stores: stringData merged over the decoded data."""
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return {**data, **(secret.get("stringData") or {})}


def _air_gapped(objects: Objects) -> bool:
    clusters = [o for k, o in objects.items() if k[0] == "DataScienceCluster"]
    return len(clusters) == 1 and clusters[0]["spec"]["components"]["kserve"]["nim"].get(
        "airGapped") is True


def _reconcile(account: dict[str, Any], objects: Objects) -> dict[str, Any]:
    """The status odh-model-controller gives `account` when the rendered objects are applied
    (air-gapped path only); raises AssertionError where the controller would fail it."""
    assert _air_gapped(objects), "the controller would validate the key against NGC"
    namespace = account["metadata"]["namespace"]
    name = account["metadata"]["name"]
    ref = account["spec"]["apiKeySecret"]
    secret = objects.get(("Secret", ref.get("namespace") or namespace, ref["name"]))
    assert secret is not None, f"api key secret not found: {ref['name']} in {namespace}"
    data = _secret_data(secret)
    assert "api_key" in data, f"secret {ref['name']} has no api_key data"
    assert not KEY.search(data["api_key"]), "an NGC key in Git"
    return {"ready": True, "nimConfig": {"name": f"{name}-cm", "namespace": APPS},
            "nimPullSecret": {"name": f"{name}-pull", "namespace": namespace}}


@pytest.fixture
def airgapped_config(tmp_path: Path) -> Callable[[str | None], Path]:
    def write(scope: str | None) -> Path:
        text = (EXAMPLES / "air-gapped" / "nim-gitops.yaml").read_text("utf-8")
        if scope:
            text = text.replace("    provider: none\n",
                                f"    provider: none\n    scope: {scope}\n")
        path = tmp_path / "nim-gitops.yaml"
        path.write_text(text, "utf-8")
        return path

    return write


@pytest.mark.parametrize("scope", [None, "project", "deployment"])
def test_every_air_gapped_account_becomes_ready_without_a_key(
        airgapped_config: Callable[[str | None], Path], scope: str | None) -> None:
    objects = _objects(airgapped_config(scope))
    accounts = [o for k, o in objects.items() if k[0] == "Account"]
    expected = {APPS} | ({"secure-ai"} if scope != "deployment" else set())
    assert {a["metadata"]["namespace"] for a in accounts} == expected
    for account in accounts:
        status = _reconcile(account, objects)
        # the dashboard finds the model list the status names
        assert ("ConfigMap", APPS, status["nimConfig"]["name"]) in objects


def test_the_wizard_finds_what_it_needs_in_an_air_gapped_project(
        airgapped_config: Callable[[str | None], Path]) -> None:
    objects = _objects(airgapped_config(None))
    account = objects[("Account", "secure-ai", "odh-nim-account")]
    status = _reconcile(account, objects)
    assert status["nimPullSecret"]["name"] == "odh-nim-account-pull"
    # the wizard reads the model list by name in the Account's own namespace
    assert ("ConfigMap", "secure-ai", status["nimConfig"]["name"]) in objects
    secret = objects[("Secret", "secure-ai", account["spec"]["apiKeySecret"]["name"])]
    # the wizard points its runtimes' NGC_API_KEY at this Secret: the key must be there
    assert _secret_data(secret) == {"api_key": PLACEHOLDER_KEY, "NGC_API_KEY": PLACEHOLDER_KEY}


def test_a_missing_key_secret_would_fail_the_account(
        airgapped_config: Callable[[str | None], Path]) -> None:
    """The reconcile model fails where the controller does: no Secret, or no api_key in it."""
    objects = _objects(airgapped_config(None))
    account = objects[("Account", APPS, "odh-nim-account")]
    secret_key = ("Secret", APPS, "nvidia-nim-access")
    without = {k: v for k, v in objects.items() if k != secret_key}
    with pytest.raises(AssertionError, match="api key secret not found"):
        _reconcile(account, without)
    emptied = {**objects, secret_key: {**objects[secret_key], "stringData": {"other": "x"}}}
    with pytest.raises(AssertionError, match="has no api_key data"):
        _reconcile(account, emptied)


def test_a_connected_render_holds_no_placeholder(tmp_path: Path) -> None:
    """Connected, the key comes from the secret manager and no core Secret is rendered."""
    objects = _objects(EXAMPLES / "quickstart" / "nim-gitops.yaml")
    assert not [k for k in objects if k[0] == "Secret"]
    assert not _air_gapped(objects)


def test_validate_accepts_the_placeholder_and_still_refuses_a_key(tmp_path: Path) -> None:
    """NIM002 lets the placeholder pass and still catches a key in the same Secret."""
    placeholder = {"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "nvidia-nim-secrets", "namespace": "p"},
                   "stringData": {"api_key": PLACEHOLDER_KEY, "NGC_API_KEY": PLACEHOLDER_KEY}}
    path = tmp_path / "s.yaml"
    path.write_text(yamlio.dump(placeholder), "utf-8")
    assert run_cli(["validate", "--skip", "NIM001", str(path)]).code == 0
    placeholder["stringData"]["NGC_API_KEY"] = "not the placeholder"
    path.write_text(yamlio.dump(placeholder), "utf-8")
    result = run_cli(["validate", "--skip", "NIM001", str(path)])
    assert result.code == 1 and "NIM002" in result.out
