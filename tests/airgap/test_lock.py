"""`airgap lock` against the loopback registry, and render by digest from the lock file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.airgap.images import Image
from generator.airgap.registry import RegistrySettings, resolve_digests
from generator.errors import AuthenticationError, RemoteServiceError
from tests.airgap.conftest import EXPECTED_IMAGES
from tests.airgap.registry_server import LIST, Registry
from tests.helpers import FAKE_KEY, run_cli
from tests.ngc_server import Fault

Write = Callable[[Any], Path]


def _pinned(config: dict[str, Any]) -> dict[str, Any]:
    config["spec"]["airGap"]["pinDigests"] = True
    return config


def _digests(registry: Registry) -> dict[str, str]:
    return {img: registry.add(*img.removeprefix("nvcr.io/").rpartition(":")[::2])
            for img in EXPECTED_IMAGES}


def _lock(config: Path, url: str, *extra: str, key: str = FAKE_KEY) -> Any:
    return run_cli(["airgap", "lock", str(config), "--registry-url", url, *extra],
                   env={"NGC_API_KEY": key})


def test_lock_then_render_by_digest(airgap_config: dict[str, Any], write_config: Write,
                                    registry: Registry, registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    result = _lock(config, registry_url)
    assert result.code == 0, result.err
    lock = config.with_name("nim-gitops.lock.yaml")
    doc = yamlio.load_one(lock.read_text(), "lock")
    assert doc["kind"] == "NimGitOpsLock"
    assert doc["digests"] == _digests(registry)
    assert list(doc["digests"]) == sorted(doc["digests"])
    # one token per image, each scoped to its repository; the key went only as basic auth
    assert sum(1 for path, _ in registry.log if path == "/proxy_auth") == len(EXPECTED_IMAGES)
    first = lock.read_bytes()
    assert _lock(config, registry_url).code == 0
    assert lock.read_bytes() == first

    rendered = run_cli(["render", str(config), "-o", "-"])
    assert rendered.code == 0, rendered.err
    objects = yamlio.load_all(rendered.out, "render")
    images = {o["spec"]["containers"][0]["image"] for o in objects
              if o["kind"] == "ServingRuntime"}
    assert images == {i.rsplit(":", 1)[0] + "@" + d for i, d in doc["digests"].items()}
    idms = [o for o in objects if o["kind"] == "ImageDigestMirrorSet"]
    assert len(idms) == 1
    assert idms[0]["spec"]["imageDigestMirrors"][0]["source"] == "nvcr.io/nim"


def test_render_without_lock_says_what_to_run(airgap_config: dict[str, Any],
                                              write_config: Write) -> None:
    config = write_config(_pinned(airgap_config))
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 1
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "spec.airGap.pinDigests" in result.err
    assert f"nim-gitops airgap lock {config}" in result.err


def test_render_with_a_missing_entry_names_the_image(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    assert _lock(config, registry_url).code == 0
    airgap_config["spec"]["projects"][0]["deployments"].append(
        {"name": "embed", "model": "nv-embedqa-e5-v5", "tag": "1.10.1"})
    write_config(airgap_config)
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 1
    assert "nim-gitops.lock.yaml" in result.err
    assert "no digest for nvcr.io/nim/nvidia/nv-embedqa-e5-v5:1.10.1" in result.err
    assert "airgap lock" in result.err


def test_corrupt_lock_names_file_and_field(airgap_config: dict[str, Any],
                                           write_config: Write) -> None:
    config = write_config(_pinned(airgap_config))
    lock = config.with_name("nim-gitops.lock.yaml")
    lock.write_text("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOpsLock\n"
                    f"digests:\n  {EXPECTED_IMAGES[0]}: sha256:abc\n")
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 1
    assert f"{lock} digests.{EXPECTED_IMAGES[0]}: not a sha256 digest" in result.err


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_key_from_file_or_stdin_never_shown(airgap_config: dict[str, Any], write_config: Write,
                                            registry: Registry, registry_url: str,
                                            tmp_path: Path, how: str) -> None:
    config = write_config(_pinned(airgap_config))
    key_file = tmp_path / "key"
    key_file.write_text(FAKE_KEY + "\n")
    args = ["--api-key-file", str(key_file)] if how == "file" else ["--api-key-stdin"]
    result = run_cli(["airgap", "lock", str(config), "--registry-url", registry_url, *args],
                     input=FAKE_KEY + "\n" if how == "stdin" else None)
    assert result.code == 0, result.err
    assert FAKE_KEY not in result.out + result.err
    assert FAKE_KEY not in config.with_name("nim-gitops.lock.yaml").read_text()


def test_wrong_key_is_a_remote_failure_without_the_key(
        airgap_config: dict[str, Any], write_config: Write, registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    wrong = "nvapi-WRONG-" + "x" * 40
    result = _lock(config, registry_url, key=wrong)
    assert result.code == 3
    assert "rejected the NGC API key" in result.err
    assert wrong not in result.err
    assert not config.with_name("nim-gitops.lock.yaml").exists()


def test_legacy_key_refused(airgap_config: dict[str, Any], write_config: Write,
                            registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    legacy = "bGVnYWN5LWtleS0xMjM0NTY3ODkw"
    result = _lock(config, registry_url, key=legacy)
    assert result.code == 1
    assert "nvapi-" in result.err and legacy not in result.err


def test_no_key_and_key_on_argv_are_usage_errors(airgap_config: dict[str, Any],
                                                 write_config: Write) -> None:
    config = write_config(_pinned(airgap_config))
    assert run_cli(["airgap", "lock", str(config)]).code == 2
    assert run_cli(["airgap", "lock", str(config), "--api-key", FAKE_KEY]).code == 2


def test_transient_failures_are_retried(airgap_config: dict[str, Any], write_config: Write,
                                        registry: Registry, registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    token = registry.faults["/proxy_auth"] = Fault(status=503, times=2)
    manifest = registry.faults["/v2/nim/mistralai/mistral-7b-instruct-v0.3/manifests/1.12.0"] = \
        Fault(status=503, times=1)
    result = _lock(config, registry_url, "--jobs", "1")
    assert result.code == 0, result.err
    assert (token.fired, manifest.fired) == (2, 1)


def _settings(url: str) -> RegistrySettings:
    return RegistrySettings(url=url, retries=2, backoff=0.01, timeout=5)


def test_persistent_failure_gives_up(registry: Registry, registry_url: str) -> None:
    registry.faults["/proxy_auth"] = Fault(status=503)
    with pytest.raises(RemoteServiceError, match=r"HTTP 503 \(gave up after 3 attempts\)"):
        resolve_digests([Image("nim/meta/llama-3.1-8b-instruct", "1.15.5")], FAKE_KEY,
                        _settings(registry_url))
    assert registry.count("/proxy_auth") == 3


def test_unknown_tag_and_wrong_key(registry: Registry, registry_url: str) -> None:
    with pytest.raises(RemoteServiceError, match="not found"):
        resolve_digests([Image("nim/meta/llama-3.1-8b-instruct", "0.0.1")], FAKE_KEY,
                        _settings(registry_url))
    with pytest.raises(AuthenticationError):
        resolve_digests([Image("nim/meta/llama-3.1-8b-instruct", "1.15.5")],
                        "nvapi-other", _settings(registry_url))


def test_manifest_list_and_missing_digest_header(registry: Registry, registry_url: str) -> None:
    expected = registry.add("nim/meta/llama-3.1-8b-instruct", "1.15.5", LIST)
    registry.send_digest_header = False
    got = resolve_digests([Image("nim/meta/llama-3.1-8b-instruct", "1.15.5")], FAKE_KEY,
                          _settings(registry_url))
    assert got == {"nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5": expected}


def test_unreachable_registry() -> None:
    with pytest.raises(RemoteServiceError, match=r"cannot connect .*gave up after 2 attempts"):
        resolve_digests([Image("nim/meta/llama-3.1-8b-instruct", "1.15.5")], FAKE_KEY,
                        RegistrySettings(url="http://127.0.0.1:9", retries=1, backoff=0.01,
                                         timeout=2))


def test_mirror_lists_carry_locked_digests(airgap_config: dict[str, Any], write_config: Write,
                                           registry: Registry, registry_url: str) -> None:
    config = write_config(_pinned(airgap_config))
    assert _lock(config, registry_url).code == 0
    digests = _digests(registry)
    skopeo = yamlio.load_one(run_cli(["airgap", "images", str(config), "--format",
                                      "skopeo"]).out, "skopeo")
    llama = skopeo["nvcr.io"]["images"]["nim/meta/llama-3.1-8b-instruct"]
    assert digests["nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"] in llama
    assert "1.15.5" in llama
    isc = yamlio.load_one(run_cli(["airgap", "images", str(config), "--format",
                                   "oc-mirror"]).out, "isc")
    names = {i["name"] for i in isc["mirror"]["additionalImages"]}
    assert {i.rsplit(":", 1)[0] + "@" + d for i, d in digests.items()} <= names
    assert set(EXPECTED_IMAGES) <= names
    lines = run_cli(["airgap", "images", str(config)]).out.splitlines()
    assert lines == EXPECTED_IMAGES
