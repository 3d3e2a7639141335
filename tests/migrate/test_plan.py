"""`migrate plan` on realistic exports: what changes, what is done, what stays, what is legacy."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.migrate.export import load_export
from generator.migrate.plan import plan_export
from tests.helpers import REPO, run_cli

DATA = REPO / "tests" / "data" / "migrate"
FAKE_VALUES = ("RkFLRS", "eyJhdXRocyI6", "FAKE-")


def _plan(name: str, *args: str) -> str:
    result = run_cli(["migrate", "plan", str(DATA / name), *args])
    assert result.code == 0, result.err
    for value in FAKE_VALUES:
        assert value not in result.out + result.err
    return result.out


def test_legacy_modal_flow_migrates_both_and_frees_both_shared_secrets() -> None:
    out = _plan("legacy-modal.yaml")
    assert "project fraud-detection:" in out
    for d in ("llama-318b", "mistral-7b"):
        assert f"secret nvidia-nim-secrets -> nim-api-key-{d}" in out
        assert f"imagePullSecrets: ngc-secret -> nim-image-pull-{d}" in out
    assert "to delete after the restarts: nvidia-nim-secrets, ngc-secret" in out
    assert "legacy (non-nvapi-) key" in out
    assert "already migrated" not in out


def test_wizard_flow_lists_legacy_objects_and_the_missing_pull_secret() -> None:
    out = _plan("wizard.yaml")
    assert "chat-assistant (chat-assistant)" in out
    assert ("legacy objects (obsolete after the upgrade): Account/odh-nim-account, "
            "ConfigMap/odh-nim-account-cm, Template/odh-nim-account-template, "
            "Secret/odh-nim-account-pull") in out
    assert "secret ngc-secret is referenced by chat-assistant but is not in the export" in out
    # ngc-secret does not exist, so only nvidia-nim-secrets can be deleted
    assert "to delete after the restarts: nvidia-nim-secrets\n" in out


def test_mixed_project() -> None:
    out = _plan("mixed.yaml")
    migrate, _, rest = out.partition("already migrated:")
    assert "llama (llama)" in migrate and "embed" not in migrate
    assert "embed (embed)" in rest
    assert "no secret references (disconnected):\n    rerank (rerank)" in out
    # the vLLM runtime is not NIM but still pulls with ngc-secret
    assert "shared secret ngc-secret still referenced by: granite" in out
    assert "to delete after the restarts: nvidia-nim-secrets\n" in out
    assert "corp-mirror-pull ->" not in out and "granite (" not in out


def test_only_some_deployments_keeps_the_shared_secrets() -> None:
    out = _plan("legacy-modal.yaml", "--only", "llama-318b")
    assert "to migrate later (not selected):\n    mistral-7b" in out
    assert "shared secret nvidia-nim-secrets still referenced by: mistral-7b" in out
    assert "shared secret ngc-secret still referenced by: mistral-7b" in out
    assert "to delete" not in out


def test_project_without_nim() -> None:
    out = _plan("no-nim.yaml")
    assert out == "project credit-scoring:\n  no NIM deployments\n"


def test_secret_values_are_dropped_on_load() -> None:
    export = load_export(DATA / "legacy-modal.yaml")
    assert ("fraud-detection", "Secret", "nvidia-nim-secrets") in export.objects
    assert "RkFLRS" not in repr(export)
    plans = plan_export(export)
    assert [d.status for d in plans[0].deployments] == ["migrate", "migrate"]
    assert plans[0].deployments[0].predictors == ("llama-318b-predictor",)


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "document 1: expected a Kubernetes object or a List"),
    ("apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  metadata: {name: x}\n",
     "document 1 items[0] metadata.namespace: metadata.namespace is missing"),
    ("kind: Secret\nmetadata: {name: a, namespace: b\n", "invalid YAML"),
])
def test_bad_exports_name_file_and_item(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "export.yaml"
    path.write_text(text)
    result = run_cli(["migrate", "plan", str(path)])
    assert result.code == 1
    assert str(path) in result.err and message in result.err


def test_missing_export_is_invalid_input(tmp_path: Path) -> None:
    result = run_cli(["migrate", "plan", str(tmp_path / "nope.yaml")])
    assert result.code == 1 and "file not found" in result.err
