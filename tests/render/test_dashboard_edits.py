"""GitOps-owned deployments against the dashboard's legacy edit form.

The edit PUTs the ServingRuntime and InferenceService back with the fields of
../shared/spec/platform-today.md §2 rewritten. Every field that the edit leaves different from
the render must be ignored by the shipped Argo CD examples, or Argo CD self-heal reverts the
user's edit; on target current, the render already writes what the form writes where it can.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli

ARGO_EXAMPLES = [EXAMPLES / "argocd/projects-applicationset.yaml",
                 EXAMPLES / "argocd/cmp/application.yaml"]


def legacy_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """What the legacy form writes back (servingRuntimes.ts, inferenceServices.ts)."""
    edited = copy.deepcopy(obj)
    annotations = edited["metadata"].setdefault("annotations", {})
    if obj["kind"] == "ServingRuntime":
        annotations["openshift.io/display-name"] = obj["metadata"]["name"]
    else:
        annotations.pop("security.opendatahub.io/enable-auth", None)  # auth not chosen
        annotations["serving.kserve.io/deploymentMode"] = "RawDeployment"
        edited["spec"]["predictor"]["model"]["args"] = []
        edited["spec"]["predictor"]["model"]["env"] = []
    return edited


def changed_pointers(before: Any, after: Any, pointer: str = "") -> set[str]:
    """JSON pointers (RFC 6901) of the values that differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: set[str] = set()
        for key in before.keys() | after.keys():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            found |= changed_pointers(before.get(key), after.get(key), f"{pointer}/{escaped}")
        return found
    return set() if before == after else {pointer}


def ignored(application: dict[str, Any]) -> dict[str, set[str]]:
    spec = application["spec"]
    spec = spec.get("template", {}).get("spec", spec)  # ApplicationSet or Application
    options = spec["syncPolicy"]["syncOptions"]
    assert "RespectIgnoreDifferences=true" in options  # else a sync reverts the edit anyway
    return {rule["kind"]: set(rule["jsonPointers"]) for rule in spec["ignoreDifferences"]}


@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("example", ARGO_EXAMPLES, ids=lambda p: p.name)
def test_argocd_ignores_every_field_the_edit_form_changes(example: Path, target: str) -> None:
    rules = ignored(yamlio.load_one(example.read_text("utf-8"), str(example)))
    result = run_cli(["render", str(EXAMPLES / "multi-project/nim-gitops.yaml"), "-o", "-",
                      "--target", target])
    assert result.code == 0, result.err
    edited = [o for o in yamlio.load_all(result.out, "render")
              if o["kind"] in ("ServingRuntime", "InferenceService")]
    assert edited
    for obj in edited:
        drift = changed_pointers(obj, legacy_edit(obj))
        assert drift <= rules.get(obj["kind"], set()), (obj["kind"], drift)


def test_current_renders_the_runtime_the_way_the_form_writes_it() -> None:
    """On today's platform the edit changes no field of the ServingRuntime and removes nothing
    from the InferenceService: it only adds what the render leaves out."""
    result = run_cli(["render", str(EXAMPLES / "quickstart/nim-gitops.yaml"), "-o", "-",
                      "--target", "current"])
    assert result.code == 0, result.err
    for obj in yamlio.load_all(result.out, "render"):
        if obj["kind"] not in ("ServingRuntime", "InferenceService"):
            continue
        edited = legacy_edit(obj)
        for pointer in changed_pointers(obj, edited):
            parts = pointer.strip("/").split("/")
            value: Any = obj
            for part in parts:
                value = value.get(part.replace("~1", "/").replace("~0", "~")) \
                    if isinstance(value, dict) else None
            assert value is None, f"{obj['kind']} {pointer} is rewritten by the edit form"
