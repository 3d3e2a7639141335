"""Fixtures for render tests: writing configs into a temp dir and rendering them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio

BASE_CONFIG: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "t"},
    "spec": {
        "secrets": {
            "provider": "external-secrets",
            # per-deployment keys, which most render tests check; the default (project on
            # current) has its own tests in test_targets.py
            "scope": "deployment",
            "externalSecrets": {"storeRef": {"name": "ngc-keys"}},
        },
        "projects": [
            {"name": "team-a", "deployments": [
                {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"},
            ]},
        ],
    },
}


@pytest.fixture
def base_config() -> dict[str, Any]:
    """A fresh copy of a small valid config."""
    return copy.deepcopy(BASE_CONFIG)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[Any], Path]:
    """Write a config (object or raw text) to tmp_path/nim-gitops.yaml and return its path."""

    def write(config: Any, name: str = "nim-gitops.yaml") -> Path:
        path = tmp_path / name
        path.write_text(config if isinstance(config, str) else yamlio.dump(config), "utf-8")
        return path

    return write
