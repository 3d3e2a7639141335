"""`nim-gitops airgap images`: the exact image list, in three formats, with or without a config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.airgap.conftest import EXPECTED_IMAGES
from tests.helpers import EXAMPLES, SNAPSHOT, run_cli


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_config_lines_are_unique_sorted_and_exact(
        airgap_config: dict[str, Any], write_config: Callable[[Any], Path]) -> None:
    result = run_cli(["airgap", "images", str(write_config(airgap_config))])
    assert result.code == 0, result.err
    assert _lines(result.out) == EXPECTED_IMAGES


def test_images_are_what_the_serving_runtimes_run() -> None:
    config = EXAMPLES / "air-gapped" / "nim-gitops.yaml"
    listed = run_cli(["airgap", "images", str(config)])
    rendered = run_cli(["render", str(config), "-o", "-"])
    assert listed.code == 0 and rendered.code == 0, listed.err + rendered.err
    runtimes = [d for d in yamlio.load_all(rendered.out, "render")
                if d["kind"] == "ServingRuntime"]
    assert runtimes
    images = {c["image"] for r in runtimes for c in r["spec"]["containers"]}
    assert set(_lines(listed.out)) == images
    assert all(i.startswith("nvcr.io/nim/") and ":" in i for i in images)


def test_oc_mirror_image_set(airgap_config: dict[str, Any],
                             write_config: Callable[[Any], Path]) -> None:
    result = run_cli(["airgap", "images", str(write_config(airgap_config)),
                      "--format", "oc-mirror"])
    assert result.code == 0, result.err
    doc = yamlio.load_one(result.out, "out")
    assert doc["apiVersion"] == "mirror.openshift.io/v2alpha1"
    assert doc["kind"] == "ImageSetConfiguration"
    assert list(doc["mirror"]) == ["additionalImages"]
    assert [i["name"] for i in doc["mirror"]["additionalImages"]] == EXPECTED_IMAGES


def test_skopeo_sync_file(airgap_config: dict[str, Any],
                          write_config: Callable[[Any], Path]) -> None:
    result = run_cli(["airgap", "images", str(write_config(airgap_config)),
                      "--format", "skopeo"])
    assert result.code == 0, result.err
    doc = yamlio.load_one(result.out, "out")
    assert list(doc) == ["nvcr.io"]
    repos = doc["nvcr.io"]["images"]
    assert repos == {
        "nim/meta/llama-3.1-8b-instruct": ["1.15.4", "1.15.5"],
        "nim/mistralai/mistral-7b-instruct-v0.3": ["1.12.0"],
    }
    # tags that look like numbers stay strings for skopeo's parser
    assert '- "1.12.0"' in result.out


def test_output_file(airgap_config: dict[str, Any], write_config: Callable[[Any], Path],
                     tmp_path: Path) -> None:
    out = tmp_path / "mirror" / "images.txt"
    result = run_cli(["airgap", "images", str(write_config(airgap_config)), "-o", str(out)])
    assert result.code == 0, result.err
    assert result.out == ""
    assert _lines(out.read_text()) == EXPECTED_IMAGES


def test_models_without_config_use_newest_pinned_tag_or_the_given_one() -> None:
    result = run_cli(["airgap", "images", "--catalog", str(SNAPSHOT),
                      "--models", "llama-3.1-8b-instruct,nv-embedqa-e5-v5:1.10.1",
                      "--models", "llama-3.1-8b-instruct"])
    assert result.code == 0, result.err
    snapshot = yamlio.load_one(SNAPSHOT.read_text(), "snapshot")
    llama = yamlio.load_one(snapshot["data"]["llama-3.1-8b-instruct"], "llama")
    pinned = [t for t in llama["tags"] if t.count(".") == 2 and t.replace(".", "").isdigit()]
    newest = max(pinned, key=lambda t: tuple(int(p) for p in t.split(".")))
    assert _lines(result.out) == [
        f"nvcr.io/{llama['namespace']}/llama-3.1-8b-instruct:{newest}",
        "nvcr.io/nim/nvidia/nv-embedqa-e5-v5:1.10.1",
    ]


@pytest.mark.parametrize(("models", "message"), [
    ("no-such-model", '"no-such-model" is not in the catalog'),
    ("llama-3.1-8b-instruct:9.9.9", '"9.9.9" is not a tag of "llama-3.1-8b-instruct"'),
    ("llama-3.1-8b-instruct:latest", '"latest" is a floating tag'),
])
def test_bad_models_are_invalid_input(models: str, message: str) -> None:
    result = run_cli(["airgap", "images", "--models", models])
    assert result.code == 1
    assert message in result.err
    assert f"--models {models}" in result.err
    assert result.out == ""


def test_floating_tag_allowed_on_request() -> None:
    result = run_cli(["airgap", "images", "--models", "llama-3.1-8b-instruct:latest",
                      "--allow-floating-tags"])
    assert result.code == 0, result.err
    assert result.out == "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest\n"


@pytest.mark.parametrize("args", [
    [],
    ["cfg.yaml", "--models", "llama-3.1-8b-instruct"],
    ["--models", "x", "--format", "docker"],
])
def test_usage_errors(args: list[str]) -> None:
    result = run_cli(["airgap", "images", *args])
    assert result.code == 2


def test_bad_config_names_file_and_field(airgap_config: dict[str, Any],
                                         write_config: Callable[[Any], Path]) -> None:
    airgap_config["spec"]["airGap"]["mirror"] = "https://not a registry"
    path = write_config(airgap_config)
    result = run_cli(["airgap", "images", str(path)])
    assert result.code == 1
    assert str(path) in result.err and "spec.airGap.mirror" in result.err
