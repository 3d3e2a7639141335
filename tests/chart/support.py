"""Running the real helm and kubectl on the chart and on `nim-gitops render` output."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from generator import yamlio
from tests.helpers import kustomize_build, run_cli, tool

# The only difference allowed between the chart and the renderer (documented in docs/helm.md):
# the chart labels every top-level object with the standard Helm labels.
HELM_LABELS = frozenset({
    "helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
    "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
})
Key = tuple[str, str, str, str]


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the project's helm; with `check`, fail the test on a non-zero exit."""
    proc = subprocess.run([tool("helm"), *args], capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def helm_template(chart: Path, values: Path | None = None) -> str:
    """`helm template` of the chart with one values file."""
    extra = ["-f", str(values)] if values else []
    return helm("template", "nim", str(chart), *extra).stdout


def _options(catalog: Path | None, target: str | None) -> list[str]:
    return [*(["--catalog", str(catalog)] if catalog else []),
            *(["--target", target] if target else [])]


def write_values(config: Path, out: Path, catalog: Path | None = None,
                 target: str | None = None) -> Path:
    """`nim-gitops values CONFIG [--target T]` written to `out`."""
    result = run_cli(["values", str(config), "-o", str(out), *_options(catalog, target)])
    assert result.code == 0, result.err
    return out


def render_build(config: Path, out: Path, catalog: Path | None = None,
                 target: str | None = None) -> str:
    """`kubectl kustomize` of `nim-gitops render CONFIG [--target T]`."""
    result = run_cli(["render", str(config), "-o", str(out), *_options(catalog, target)])
    assert result.code == 0, result.err
    return kustomize_build(out)


def objects_by_key(text: str, *, strip_helm_labels: bool) -> dict[Key, dict[str, Any]]:
    """Objects of a YAML stream keyed by (apiVersion, kind, namespace, name)."""
    found: dict[Key, dict[str, Any]] = {}
    for doc in yaml.safe_load_all(text):
        if not doc:
            continue
        meta = doc["metadata"]
        if strip_helm_labels:
            labels = meta.get("labels", {})
            assert set(labels) >= HELM_LABELS, f"{doc['kind']}/{meta['name']} lacks Helm labels"
            for name in HELM_LABELS:
                del labels[name]
            if not labels:
                del meta["labels"]
        key = (doc["apiVersion"], doc["kind"], meta.get("namespace", ""), meta["name"])
        assert key not in found, f"duplicate object {key}"
        found[key] = doc
    return found


def assert_same_objects(rendered: str, charted: str) -> int:
    """Both streams hold the same objects (order-insensitive); returns how many."""
    ours = objects_by_key(rendered, strip_helm_labels=False)
    theirs = objects_by_key(charted, strip_helm_labels=True)
    assert sorted(ours) == sorted(theirs)
    for key, obj in ours.items():
        assert theirs[key] == obj, f"{key} differs:\n{yamlio.dump(obj)}\n---\n" \
                                   f"{yamlio.dump(theirs[key])}"
    return len(ours)

