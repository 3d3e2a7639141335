"""The one object-diff model behind `plan`, `render --diff` and `rotate --plan`."""

from __future__ import annotations

from pathlib import Path

from generator.plan.model import ObjectChange, diff_objects, field_paths, index
from tests.helpers import EXAMPLES, run_cli


def test_field_paths_name_leaves_and_quote_keys_that_are_not_plain() -> None:
    old = {"spec": {"replicas": 1, "labels": {"a": "1"}, "args": ["x", "y"]}}
    new = {"spec": {"replicas": 2, "labels": {"a": "1", "example.com/b": "2"},
                    "args": ["x", "z"]},
           "metadata": {"annotations": {"nim-gitops.opendatahub.io/key-revision": "1"}}}
    assert field_paths(old, new) == [
        'metadata.annotations["nim-gitops.opendatahub.io/key-revision"]',
        "spec.args[1]", 'spec.labels["example.com/b"]', "spec.replicas"]
    assert field_paths([1], [1, 2]) == [""]  # a list that grows changes as a whole


def test_diff_objects_sorts_added_changed_and_removed_by_key() -> None:
    a = {"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "1"}}
    b = {"kind": "ConfigMap", "metadata": {"name": "b", "namespace": "n"}}
    a2 = {**a, "data": {"k": "2"}}
    ns = {"kind": "Namespace", "metadata": {"name": "n"}}
    diff = diff_objects(index([a, b]), index([ns, a2, {"kind": "Kustomization"}]))
    assert diff.added == (("Namespace", "", "n"),)
    assert diff.changed == (ObjectChange(("ConfigMap", "n", "a"), ("data.k",)),)
    assert diff.removed == (("ConfigMap", "n", "b"),)
    assert diff_objects({"f": "text"}, {"f": "other"}).changed == (ObjectChange("f", ()),)


def test_render_diff_names_the_changed_fields(tmp_path: Path) -> None:
    config = tmp_path / "nim-gitops.yaml"
    text = (EXAMPLES / "quickstart" / "nim-gitops.yaml").read_text("utf-8")
    config.write_text(text, "utf-8")
    out = tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    config.write_text(text.replace("      gpus: 1\n", "      gpus: 1\n      replicas: 3\n"),
                      "utf-8")
    result = run_cli(["render", str(config), "-o", str(out), "--diff"])
    lines = result.out.splitlines()
    at = lines.index("changed: InferenceService team-a/llama-8b")
    assert lines[at + 1] == "  fields: spec.predictor.maxReplicas, spec.predictor.minReplicas"


def test_a_deployment_field_added_later_is_compared_without_more_code() -> None:
    """A serving option added to DeploymentSpec (say `external_route`) shows up in `plan`
    under its config name."""
    from dataclasses import dataclass, replace

    from generator.catalog import load_sample_catalog
    from generator.models import Deployment, DeploymentSpec
    from generator.plan.compare import _field_changes

    @dataclass(frozen=True)
    class WithRoute(DeploymentSpec):
        external_route: bool = False

    model = load_sample_catalog().models["llama-3.1-8b-instruct"]
    spec = WithRoute(name="llama", model=model.name, path="spec.projects[0].deployments[0]")
    old = Deployment("team-a", spec, model, "1.15.5", model.image("1.15.5"))
    new = replace(old, spec=replace(spec, external_route=True))
    (change,) = _field_changes(old, new)
    assert (change.field, change.old, change.new) == ("externalRoute", False, True)
