"""GitOps-owned deployments against the dashboard's edit flows.

Each flow is replayed on rendered objects as the dashboard writes them back:

- the legacy modal PUTs the ServingRuntime and InferenceService with the fields of
  ../shared/spec/platform-today.md §2 rewritten;
- the wizard before odh-dashboard #9688 left the ServingRuntime alone (§2: "A wizard edit
  changes nothing nim-gitops sets");
- the wizard since #9688 PUTs the ServingRuntime too (§5.3): `packages/kserve/src/deployServer.ts`
  re-assembles its annotations and `nimKServe/fields/nimPVCApplyExtract.ts` re-appends the cache
  volume, its mount and NIM_CACHE_PATH at the end of their lists;
- the wizard's NIMService path (`nimservice_edit` below).

Every field that an edit leaves different from the render must be ignored by the shipped Argo
CD examples, or Argo CD self-heal reverts the user's edit; on target current the render writes
what the forms write, so the edits change nothing it sets (0 drift fields).
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


CACHE_MOUNT = "/mnt/models/cache"


def wizard_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """What the wizard writes back since #9688 when a deployment is saved unchanged. The
    InferenceService is re-assembled as at the snapshot, identical to the render (§3); the
    ServingRuntime's annotations and cache fields are rewritten (§5.3)."""
    edited = copy.deepcopy(obj)
    if obj["kind"] != "ServingRuntime":
        return edited
    meta = edited["metadata"]
    annotations = meta.setdefault("annotations", {})
    display = annotations.get("openshift.io/display-name") or meta["name"]
    annotations.update({"openshift.io/display-name": display,
                        "opendatahub.io/template-name": meta["name"],  # templateName unset
                        "opendatahub.io/template-display-name": display})
    spec = edited["spec"]
    container = next(c for c in spec["containers"] if c["name"] == "kserve-container")
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == CACHE_MOUNT)
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    claim = volume["persistentVolumeClaim"]["claimName"]
    spec["volumes"] = [v for v in spec["volumes"]
                       if v.get("persistentVolumeClaim", {}).get("claimName") != claim]
    spec["volumes"].append({"name": claim, "persistentVolumeClaim": {"claimName": claim}})
    container["volumeMounts"] = [m for m in container["volumeMounts"]
                                 if m["mountPath"] != CACHE_MOUNT]
    container["volumeMounts"].append({"name": claim, "mountPath": CACHE_MOUNT})
    container["env"] = [e for e in container.get("env", []) if e["name"] != "NIM_CACHE_PATH"]
    container["env"].append({"name": "NIM_CACHE_PATH", "value": CACHE_MOUNT})
    return edited


def old_wizard_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """The wizard before #9688: the ServingRuntime is not written, the InferenceService is
    re-assembled as the render has it (§2, §3)."""
    return copy.deepcopy(obj)


EDITS = {"legacy-modal": lambda obj: legacy_edit(obj), "wizard": wizard_edit,
         "wizard-before-9688": old_wizard_edit}


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


# The project's Account and its key Secret as the dashboard's NIM settings create them
# (odh-dashboard packages/nim-serving/src/api/accounts/constants.ts); the pull Secret is the
# one the Account's controller reports in status.nimPullSecret, named by the controller.
ACCOUNT = "odh-nim-account"
ACCOUNT_KEY_SECRET = "nvidia-nim-secrets"
ACCOUNT_PULL_SECRET = "odh-nim-account-pull"  # `<account>-pull`, odh-model-controller 57b43aad
# internal/controller/nim/handlers/pull_secret_handler.go


def nimservice_edit(obj: dict[str, Any], account_key_secret: str) -> dict[str, Any]:
    """What the wizard writes back when a NIMService is saved unchanged: assembleNIMService
    (packages/nim-serving/src/api/nimservices/k8s.ts) keeps the existing object and sets the
    form's values, then deployNIMDeployment (api/deployments/deploy.ts) points authSecret and
    image.pullSecrets at the project's Account."""
    edited = copy.deepcopy(obj)
    meta, spec = edited["metadata"], edited["spec"]
    annotations = meta.setdefault("annotations", {})
    annotations["openshift.io/display-name"] = annotations.get("openshift.io/display-name",
                                                               meta["name"])
    annotations["openshift.io/description"] = annotations.get("openshift.io/description", "")
    meta.setdefault("labels", {})["opendatahub.io/dashboard"] = "true"
    spec["replicas"] = obj["spec"].get("replicas", 1)
    if "labels" in spec:  # no external route chosen
        spec["labels"].pop("networking.kserve.io/visibility", None)
    spec.setdefault("annotations", {})["security.opendatahub.io/enable-auth"] = "false"
    spec.pop("env", None)  # environment variables and runtime arguments not enabled
    spec.pop("args", None)
    spec["authSecret"] = account_key_secret
    spec["image"]["pullSecrets"] = [ACCOUNT_PULL_SECRET]
    return edited


def _nim_operator_render(tmp_path: Path, target: str, scope: str) -> list[dict[str, Any]]:
    source = EXAMPLES / "nim-operator/nim-gitops.yaml"
    config = yamlio.load_one(source.read_text("utf-8"), str(source))
    config["spec"]["secrets"]["scope"] = scope
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["render", str(path), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render")


@pytest.mark.parametrize("scope", ["deployment", "project"])
@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("example", ARGO_EXAMPLES, ids=lambda p: p.name)
def test_argocd_ignores_every_field_the_nimservice_edit_changes(
        tmp_path: Path, example: Path, target: str, scope: str) -> None:
    rules = ignored(yamlio.load_one(example.read_text("utf-8"), str(example)))
    objects = _nim_operator_render(tmp_path, target, scope)
    services = [o for o in objects if o["kind"] == "NIMService"]
    assert services
    for obj in services:
        account = next((o for o in objects if o["kind"] == "Account"
                        and o["metadata"]["name"] == ACCOUNT
                        and o["metadata"]["namespace"] == obj["metadata"]["namespace"]), None)
        key = account["spec"]["apiKeySecret"]["name"] if account else ACCOUNT_KEY_SECRET
        drift = changed_pointers(obj, nimservice_edit(obj, key))
        assert drift <= rules.get("NIMService", set()), drift


def test_the_nimservice_edit_changes_only_the_secrets(tmp_path: Path) -> None:
    """Every other field the form writes is rendered as the form writes it; with scope
    project on current the NIMService reads the project Account's key and pull Secrets, so the
    edit changes nothing."""
    for scope, expected in (("deployment", {"/spec/authSecret", "/spec/image/pullSecrets"}),
                            ("project", set())):
        objects = _nim_operator_render(tmp_path, "current", scope)
        for obj in (o for o in objects if o["kind"] == "NIMService"):
            account_key = ACCOUNT_KEY_SECRET if scope == "project" else "another-secret"
            assert changed_pointers(obj, nimservice_edit(obj, account_key)) == expected, scope


def _examples_for(target: str) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for config in sorted(EXAMPLES.glob("*/nim-gitops.yaml")):
        result = run_cli(["render", str(config), "-o", "-", "--target", target])
        assert result.code == 0, result.err
        objects += [o for o in yamlio.load_all(result.out, "render")
                    if o["kind"] in ("ServingRuntime", "InferenceService")]
    assert objects
    return objects


@pytest.mark.parametrize("flow", sorted(EDITS))
@pytest.mark.parametrize("target", ["current", "redesign"])
@pytest.mark.parametrize("example", ARGO_EXAMPLES, ids=lambda p: p.name)
def test_no_edit_flow_leaves_drift_argo_cd_sees(example: Path, target: str, flow: str) -> None:
    """Every edit flow on every example: each changed field is ignored by the shipped Argo CD
    examples; on current only the legacy modal's InferenceService additions remain."""
    rules = ignored(yamlio.load_one(example.read_text("utf-8"), str(example)))
    for obj in _examples_for(target):
        drift = changed_pointers(obj, EDITS[flow](obj))
        assert drift <= rules.get(obj["kind"], set()), (flow, obj["kind"], drift)
        if target == "current" and obj["kind"] == "ServingRuntime":
            assert drift == set(), (flow, obj["metadata"]["name"], drift)


def test_the_wizard_edit_replay_can_see_drift() -> None:
    """The replay is real: a runtime with its cache mount first, as nim-gitops rendered it
    before, drifts on the mounts, the volumes and the env."""
    result = run_cli(["render", str(EXAMPLES / "quickstart/nim-gitops.yaml"), "-o", "-"])
    runtime = next(o for o in yamlio.load_all(result.out, "render")
                   if o["kind"] == "ServingRuntime")
    spec = runtime["spec"]
    container = spec["containers"][0]
    container["volumeMounts"].insert(0, container["volumeMounts"].pop())
    spec["volumes"].insert(0, spec["volumes"].pop())
    container["env"].insert(0, container["env"].pop())
    runtime["metadata"]["annotations"]["opendatahub.io/template-name"] = "nvidia-nim-runtime"
    drift = changed_pointers(runtime, wizard_edit(runtime))
    assert drift == {"/metadata/annotations/opendatahub.io~1template-name", "/spec/volumes",
                     "/spec/containers"}
