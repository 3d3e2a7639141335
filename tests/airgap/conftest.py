"""Fixtures for air-gap tests: configs in a temp dir and the loopback registry."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.airgap.registry_server import Registry, serve
from tests.helpers import FAKE_KEY

AIRGAP_CONFIG: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "disconnected"},
    "spec": {
        "airGap": {"mirror": "mirror.corp.example:5000/nvcr"},
        "projects": [
            {"name": "team-a", "deployments": [
                {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"},
                {"name": "mistral", "model": "mistral-7b-instruct-v0.3", "tag": "1.12.0"},
            ]},
            {"name": "team-b", "deployments": [
                {"name": "llama", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"},
                {"name": "llama-old", "model": "llama-3.1-8b-instruct", "tag": "1.15.4"},
            ]},
        ],
    },
}
EXPECTED_IMAGES = [
    "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.4",
    "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5",
    "nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3:1.12.0",
]


@pytest.fixture
def airgap_config() -> dict[str, Any]:
    """A fresh copy of an air-gapped config with two projects and a shared image."""
    return copy.deepcopy(AIRGAP_CONFIG)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[Any], Path]:
    """Write a config object to tmp_path/<name> and return its path."""

    def write(config: Any, name: str = "nim-gitops.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yamlio.dump(config), "utf-8")
        return path

    return write


@pytest.fixture
def registry() -> Registry:
    """A registry holding the images of AIRGAP_CONFIG, keyed to FAKE_KEY."""
    reg = Registry(key=FAKE_KEY)
    for image in EXPECTED_IMAGES:
        repo, _, tag = image.removeprefix("nvcr.io/").rpartition(":")
        reg.add(repo, tag)
    return reg


@pytest.fixture
def registry_url(registry: Registry) -> Iterator[str]:
    """The running loopback registry's base URL."""
    with serve(registry) as url:
        yield url
