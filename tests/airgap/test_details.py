"""The extended model details in air-gapped work: bytes to mirror, digests without a registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.metadata.extended import Details, Variant, details_json
from tests.airgap.registry_server import Registry
from tests.helpers import FAKE_KEY, isolated_env, run_cli

Write = Callable[[Any], Path]
LLAMA = "nvcr.io/nim/meta/llama-3.1-8b-instruct"
MISTRAL = "nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3"
A, B, C = ("sha256:" + c * 64 for c in "abc")


def _details(tmp_path: Path, *, mistral_tag: str = "1.12.0") -> Path:
    path = tmp_path / "details.json"
    path.write_text(details_json([
        Details("llama-3.1-8b-instruct", "1.15.5", public=False, image_size=1000,
                variants={"amd64": Variant(A, 1000), "arm64": Variant(B, 900)}),
        Details("mistral-7b-instruct-v0.3", mistral_tag, variants={"amd64": Variant(C, 24)}),
    ]), "utf-8")
    return path


def test_images_prints_the_bytes_to_mirror(airgap_config: dict[str, Any], write_config: Write,
                                           tmp_path: Path) -> None:
    config = write_config(airgap_config)
    plain = run_cli(["airgap", "images", str(config)])
    result = run_cli(["airgap", "images", str(config), "--extended", str(_details(tmp_path))])
    assert result.code == 0, result.err
    assert result.out == plain.out  # the list itself is unchanged
    assert "3 images, 1024 bytes" in result.err  # 1.15.5 (1000) + mistral (24)
    assert f"1 of unknown size (not the latest tag): {LLAMA}:1.15.4" in result.err
    arm = run_cli(["airgap", "images", str(config), "--extended", str(_details(tmp_path)),
                   "--arch", "arm64"])
    assert "3 images, 900 bytes" in arm.err and "2 of unknown size" in arm.err


def test_the_configs_own_details_are_used(airgap_config: dict[str, Any], write_config: Write,
                                          tmp_path: Path) -> None:
    _details(tmp_path)
    airgap_config["spec"]["platform"] = {"catalog": {"extended": "details.json"}}
    result = run_cli(["airgap", "images", str(write_config(airgap_config))])
    assert result.code == 0, result.err
    assert "3 images, 1024 bytes" in result.err


def test_lock_takes_digests_from_the_details_and_asks_the_registry_for_the_rest(
        airgap_config: dict[str, Any], write_config: Write, tmp_path: Path,
        registry: Registry, registry_url: str) -> None:
    airgap_config["spec"]["airGap"]["pinDigests"] = True
    config = write_config(airgap_config)
    result = run_cli(["airgap", "lock", str(config), "--registry-url", registry_url,
                      "--extended", str(_details(tmp_path))], env={"NGC_API_KEY": FAKE_KEY})
    assert result.code == 0, result.err
    digests = yamlio.load_one(config.with_name("nim-gitops.lock.yaml").read_text(), "lock")
    assert digests["digests"][f"{LLAMA}:1.15.5"] == A
    assert digests["digests"][f"{MISTRAL}:1.12.0"] == C
    assert digests["digests"][f"{LLAMA}:1.15.4"].startswith("sha256:")
    assert sum(1 for path, _ in registry.log if path == "/proxy_auth") == 1  # only 1.15.4


def test_lock_needs_no_key_when_the_details_cover_every_image(
        airgap_config: dict[str, Any], write_config: Write, tmp_path: Path,
        registry: Registry, registry_url: str) -> None:
    airgap_config["spec"]["projects"][1]["deployments"].pop()  # drop the 1.15.4 deployment
    airgap_config["spec"]["airGap"]["pinDigests"] = True
    config = write_config(airgap_config)
    result = run_cli(["airgap", "lock", str(config), "--registry-url", registry_url,
                      "--extended", str(_details(tmp_path))], env=isolated_env())
    assert result.code == 0, result.err
    assert registry.log == []
    rendered = run_cli(["render", str(config), "-o", "-"])
    assert rendered.code == 0 and f"mistral-7b-instruct-v0.3@{C}" in rendered.out
