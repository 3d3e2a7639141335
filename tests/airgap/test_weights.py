"""`airgap images --weights`: what each deployment's cache needs and where it is mirrored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli

PROFILE = "8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d"


def _config(tmp_path: Path) -> Path:
    config: dict[str, Any] = {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
        "metadata": {"name": "w"},
        "spec": {
            "airGap": {"mirror": "registry.example.com/nvcr"},
            "projects": [{"name": "team-a", "deployments": [
                {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
                 "backend": "nim-operator",
                 "cache": {"profiles": [PROFILE], "source": {"pvc": "llama-weights"}}},
                {"name": "mistral", "model": "mistral-7b-instruct-v0.3", "tag": "1.12.0",
                 "cache": {"source": {"oci": {
                     "ref": "registry.example.com/weights/mistral:1.12.0",
                     "image": "registry.example.com/tools/oras:1.2.0"}}}},
            ]}],
        },
    }
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


def test_weights_name_image_profiles_command_and_source(tmp_path: Path) -> None:
    result = run_cli(["airgap", "images", "--weights", str(_config(tmp_path))])
    assert result.code == 0, result.err
    weights = {w["deployment"]: w for w in yamlio.load_one(result.out, "out")["weights"]}
    llama = weights["team-a/llama-8b"]
    assert llama["image"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    assert llama["profiles"] == [PROFILE]
    assert llama["fetch"] == f"download-to-cache --profiles {PROFILE}"
    assert llama["source"] == {"pvc": "llama-weights"}
    mistral = weights["team-a/mistral"]
    assert mistral["fetch"] == "download-to-cache"
    assert mistral["source"] == {"oci": "registry.example.com/weights/mistral:1.12.0"}
    assert mistral["tool"] == "registry.example.com/tools/oras:1.2.0"


def test_images_without_weights_still_lists_only_images(tmp_path: Path) -> None:
    result = run_cli(["airgap", "images", str(_config(tmp_path))])
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5",
        "nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3:1.12.0",
    ]


def test_weights_need_a_config() -> None:
    result = run_cli(["airgap", "images", "--weights", "--models", "llama-3.1-8b-instruct"])
    assert result.code == 2
    assert "--weights" in result.err


def test_weights_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "weights.yaml"
    result = run_cli(["airgap", "images", "--weights", "-o", str(out),
                      str(EXAMPLES / "nim-operator/nim-gitops.yaml")])
    assert result.code == 0, result.err
    assert len(yamlio.load_one(out.read_text("utf-8"), "w")["weights"]) == 3
