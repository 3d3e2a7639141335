"""NOTES.txt tells the installer what the chart created for its target and key scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.support import helm, write_values
from tests.helpers import EXAMPLES


def _notes(chart: Path, values: Path) -> str:
    out = helm("install", "nim", str(chart), "-f", str(values), "--dry-run=client").stdout
    return out[out.index("NOTES:"):]


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_notes_follow_target_and_scope(chart_dir: Path, tmp_path: Path, target: str) -> None:
    values = write_values(EXAMPLES / "project-keys/nim-gitops.yaml", tmp_path / "v.yaml",
                          target=target)
    notes = _notes(chart_dir, values)
    assert f"target {target}" in notes
    # on current the project Account's controller writes the pull Secret
    # (platform-today: odh-model-controller's account reconciler writes odh-nim-account-pull)
    if target == "current":
        assert "creates nvidia-nim-secrets (one per project)\n" in notes
        assert ("odh-model-controller writes the pull Secret odh-nim-account-pull in each "
                "project from its Account's key.") in notes
    else:
        assert "creates nvidia-nim-secrets and ngc-secret (one pair per project)" in notes
    assert "nim-api-key-" not in notes
    assert ("Account odh-nim-account" in notes) == (target == "current")
    assert ("Template nim-http-template" in notes) == (target == "redesign")


def test_notes_name_each_deployments_backend_and_fill(chart_dir: Path, tmp_path: Path) -> None:
    values = write_values(EXAMPLES / "nim-operator/nim-gitops.yaml", tmp_path / "v.yaml")
    lines = {line.split(" (")[0].strip(" -"): line
             for line in _notes(chart_dir, values).splitlines() if "team-ops/" in line}
    assert "NIMCache and NIMService llama-8b" in lines["team-ops/llama-8b"]
    assert "InferenceService" not in lines["team-ops/mistral-7b"]
    kserve = lines["team-ops/llama-kserve"]
    assert "a Job filling it" in kserve and "InferenceService llama-kserve" in kserve
    assert "Job" not in lines["team-ops/llama-8b"]


def test_notes_name_the_side_file_values(chart_dir: Path, tmp_path: Path) -> None:
    """Digest pinning and the anonymously pullable models are said, only when set."""
    values = tmp_path / "v.yaml"
    values.write_text("platform:\n  catalog:\n    anonymousPull: [nv-embedqa-e5-v5]\n"
                      "airGap:\n  mirror: r.example\n  pinDigests: true\n  digests: {}\n",
                      "utf-8")
    notes = _notes(chart_dir, values)
    assert "Keyless: NGC lets anyone pull nv-embedqa-e5-v5" in notes
    assert "ImageDigestMirrorSet nim-nvcr-mirror" in notes
    plain = write_values(EXAMPLES / "air-gapped/nim-gitops.yaml", tmp_path / "plain.yaml")
    notes = _notes(chart_dir, plain)
    assert "Keyless" not in notes and "ImageDigestMirrorSet" not in notes


def _store_keys(config: Path, target: str) -> list[str]:
    """The store entries `nim-gitops secrets list` names for `config`, as NOTES words them."""
    import json

    from tests.helpers import run_cli

    result = run_cli(["secrets", "list", str(config), "--format", "json", "--target", target])
    assert result.code == 0, result.err
    return [f"key {e['key']}" + (f", property {e['property']}" if e["property"] else "")
            for e in json.loads(result.out)["entries"]]


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_notes_print_the_configured_store_entries(chart_dir: Path, tmp_path: Path,
                                                  target: str) -> None:
    """NOTES names the entries the config sets (projectRemoteRef filled in for each project,
    accountRemoteRef), not the defaults: the same ones `secrets list` reports."""
    config = tmp_path / "teams.yaml"
    config.write_text(
        (EXAMPLES / "project-keys/nim-gitops.yaml").read_text("utf-8").replace(
            'projectRemoteRef: {key: "nim/{project}", property: api_key}',
            'projectRemoteRef: {key: "teams/{project}/ngc"}'), "utf-8")
    notes = _notes(chart_dir, write_values(config, tmp_path / "v.yaml", target=target))
    assert "  - project research: key teams/research/ngc\n" in notes
    assert ("  - the Account: key nim/platform-admin, property api_key" in notes) == \
        (target == "current")
    assert "nim/{project}" not in notes and "nim/account" not in notes
    for entry in _store_keys(config, target):
        assert entry in notes, entry


def test_notes_print_each_projects_vault_path(chart_dir: Path, tmp_path: Path) -> None:
    values = write_values(EXAMPLES / "nim-operator/nim-gitops.yaml", tmp_path / "v.yaml")
    notes = _notes(chart_dir, values)
    assert "  - project team-ops: nim/team-ops\n" in notes
