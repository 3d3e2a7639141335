"""Synthetic configs of a chosen size, shared by the render, chart and validate benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import yamlio

MODELS = ("llama-3.1-8b-instruct", "mistral-7b-instruct-v0.3", "nv-embedqa-e5-v5",
          "llama-3.2-nv-rerankqa-1b-v2", "mixtral-8x7b-instruct-v01")


def scale_config(projects: int, per_project: int = 5,
                 provider: str = "external-secrets", scope: str | None = None) -> dict[str, Any]:
    """A config with `projects` projects of `per_project` deployments each; `scope` sets
    `secrets.scope` (left out: the target's default)."""
    secrets: dict[str, Any] = {"provider": provider}
    if scope is not None:
        secrets["scope"] = scope
    if provider == "external-secrets":
        secrets["externalSecrets"] = {"storeRef": {"name": "ngc-keys"}}
    return {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
        "kind": "NimGitOps",
        "metadata": {"name": f"scale-{projects}"},
        "spec": {
            "secrets": secrets,
            "projects": [
                {"name": f"team-{p:05d}", "deployments": [
                    {"name": f"nim-{d}", "model": MODELS[d % len(MODELS)], "gpus": 1 + d % 2}
                    for d in range(per_project)
                ]}
                for p in range(projects)
            ],
        },
    }


def write_scale_config(directory: Path, projects: int, per_project: int = 5,
                       scope: str | None = None) -> Path:
    """Write a synthetic config into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"scale-{projects}{'-' + scope if scope else ''}.yaml"
    path.write_text(yamlio.dump(scale_config(projects, per_project, scope=scope)), "utf-8")
    return path
