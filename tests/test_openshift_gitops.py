"""The Argo CD material agrees with itself and with what nim-gitops renders: the docs' CMP
snippet is the example Application's source, the OpenShift GitOps sidecar is the upstream one
without a fixed UID, and the ClusterRole covers every kind a render can write."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import CRDS, EXAMPLES, REPO, run_cli

OPENSHIFT = EXAMPLES / "argocd/openshift-gitops"


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]


def test_the_docs_cmp_snippet_is_the_example_applications_source() -> None:
    text = (REPO / "docs/argocd.md").read_text("utf-8")
    after = text[text.index("the source of `examples/argocd/cmp/application.yaml`"):]
    snippet = re.search(r"```yaml\n(.*?)```", after, re.S)
    assert snippet is not None
    application = _load(EXAMPLES / "argocd/cmp/application.yaml")[0]
    assert yaml.safe_load(snippet.group(1)) == {"source": application["spec"]["source"]}


def _sidecar(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in containers if c["name"] == "nim-gitops")


def test_the_openshift_sidecar_is_the_upstream_one_without_a_fixed_uid() -> None:
    upstream = _load(REPO / "plugins/argocd/repo-server-patch.yaml")[0]["spec"]["template"]["spec"]
    patch = _load(REPO / "plugins/argocd/openshift-gitops/argocd-cmp-patch.yaml")[0]["spec"]["repo"]
    ours = _sidecar(patch["sidecarContainers"])
    theirs = _sidecar(upstream["containers"])
    assert theirs["securityContext"].pop("runAsUser") == 999
    assert "runAsUser" not in ours["securityContext"]  # restricted-v2 assigns the pod's UID
    assert ours["securityContext"]["runAsNonRoot"] is True
    for key in ("command", "env", "securityContext", "volumeMounts"):
        assert ours[key] == theirs[key], key
    assert patch["volumes"] == upstream["volumes"]


@functools.cache
def _crd_plurals() -> dict[tuple[str, str], str]:
    """(group, kind) -> resource name of every CRD in ../shared/crds (read once)."""
    found = {}
    for crd in CRDS.glob("*.yaml"):
        text = crd.read_text("utf-8")
        group = re.search(r"^  group: (\S+)$", text, re.M)
        kind = re.search(r"^    kind: (\S+)$", text, re.M)
        plural = re.search(r"^    plural: (\S+)$", text, re.M)
        if group and kind and plural:
            found[(group.group(1), kind.group(1))] = plural.group(1)
    return found


def _plural(group: str, kind: str) -> str:
    """A kind's resource name: from its CRD when ../shared/crds has it, else lowercase + s
    (true of every core and OpenShift kind nim-gitops writes)."""
    return _crd_plurals().get((group, kind), kind.lower() + "s")


@pytest.mark.parametrize("target", ["current", "redesign"])
def test_the_cluster_role_covers_every_kind_a_render_writes(target: str) -> None:
    granted = set()
    role = next(d for d in _load(OPENSHIFT / "rbac.yaml") if d["kind"] == "ClusterRole")
    for rule in role["rules"]:
        assert {"get", "list", "watch", "patch"} <= set(rule["verbs"])
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    kinds = set()
    for config in sorted(EXAMPLES.glob("*/nim-gitops.yaml")):
        result = run_cli(["render", str(config), "-o", "-", "--target", target])
        assert result.code == 0, result.err
        for obj in yaml.safe_load_all(result.out):
            if obj:
                group = obj["apiVersion"].rpartition("/")[0]
                kinds.add((group, _plural(group, obj["kind"])))
    assert kinds and kinds <= granted, kinds - granted


def test_the_binding_names_the_default_instances_application_controller() -> None:
    binding = next(d for d in _load(OPENSHIFT / "rbac.yaml") if d["kind"] == "ClusterRoleBinding")
    assert binding["subjects"] == [{
        "kind": "ServiceAccount", "name": "openshift-gitops-argocd-application-controller",
        "namespace": "openshift-gitops"}]
    assert binding["roleRef"]["name"] == "nim-gitops-argocd"
