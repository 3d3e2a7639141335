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
import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli

ARGO_EXAMPLES = [EXAMPLES / "argocd/projects-applicationset.yaml",
                 EXAMPLES / "argocd/cmp/application.yaml"]


AUTH = "security.opendatahub.io/enable-auth"


def legacy_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """What the legacy form writes back (servingRuntimes.ts, inferenceServices.ts): the form
    loads the token auth, route, args and env the object has and writes them back;
    `applyAuthToInferenceService` writes enable-auth only when tokens are chosen."""
    edited = copy.deepcopy(obj)
    annotations = edited["metadata"].setdefault("annotations", {})
    if obj["kind"] == "ServingRuntime":
        annotations["openshift.io/display-name"] = obj["metadata"]["name"]
    else:
        if annotations.get(AUTH) != "true":
            annotations.pop(AUTH, None)  # auth not chosen
        annotations["serving.kserve.io/deploymentMode"] = "RawDeployment"
        model = edited["spec"]["predictor"]["model"]
        model["args"] = model.get("args", [])
        model["env"] = model.get("env", [])
    return edited


CACHE_MOUNT = "/mnt/models/cache"


def wizard_inference_service(obj: dict[str, Any], keep_value_from: bool = False
                             ) -> dict[str, Any]:
    """The wizard's InferenceService, saved unchanged (odh-dashboard b9d09633
    packages/kserve/src/deployModel.ts assembleInferenceService on the existing object):
    `deployUtils.ts` applyAuth writes enable-auth "true"/"false" (tokens: the token Secrets the
    form finds, here the annotation's) and the visibility label only with a route;
    `hardware.ts` applyReplicas sets min and max to extractReplicas (minReplicas);
    applyRuntimeArgs writes the args again, applyEnvironmentVariables the env as
    {name, value} (extractEnvironmentVariables: `value ?? ''`), so a valueFrom is lost;
    `keep_value_from` models odh-dashboard PR #9726 (open), which keeps it."""
    edited = copy.deepcopy(obj)
    annotations = edited["metadata"].setdefault("annotations", {})
    annotations[AUTH] = "true" if annotations.get(AUTH) == "true" else "false"
    predictor = edited["spec"]["predictor"]
    replicas = predictor.get("minReplicas", predictor.get("maxReplicas"))
    predictor["minReplicas"] = predictor["maxReplicas"] = replicas
    model = predictor["model"]
    if model.get("env") and not keep_value_from:
        model["env"] = [{"name": e["name"], "value": e.get("value", "")} for e in model["env"]]
    return edited


def wizard_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """What the wizard writes back since #9688 when a deployment is saved unchanged: the
    InferenceService as `wizard_inference_service`; the ServingRuntime's annotations and cache
    fields are rewritten (§5.3), the cache mount keeping its subPath
    (nimKServe/fields/nimPVCApplyExtract.ts extractNIMPVCFieldData)."""
    edited = copy.deepcopy(obj)
    if obj["kind"] != "ServingRuntime":
        return wizard_inference_service(obj)
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
    sub_path = mount.get("subPath", "").lstrip("/")
    container["volumeMounts"].append({"name": claim, "mountPath": CACHE_MOUNT,
                                      **({"subPath": sub_path} if sub_path else {})})
    container["env"] = [e for e in container.get("env", []) if e["name"] != "NIM_CACHE_PATH"]
    container["env"].append({"name": "NIM_CACHE_PATH", "value": CACHE_MOUNT})
    return edited


def old_wizard_edit(obj: dict[str, Any]) -> dict[str, Any]:
    """The wizard before #9688: the ServingRuntime is not written, the InferenceService is
    re-assembled (§2, §3)."""
    return copy.deepcopy(obj) if obj["kind"] == "ServingRuntime" else \
        wizard_inference_service(obj)


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


_SELECT = re.compile(r"^(?P<path>(?:\.[A-Za-z]+|\[\"[^\"]+\"\])+)"
                     r" \| select\(\. == (?P<value>.+)\)$")
_STEP = re.compile(r"\.([A-Za-z]+)|\[\"([^\"]+)\"\]")


def _rule(expression: str) -> tuple[tuple[str, ...], Any]:
    """A `jqPathExpressions` entry of the form `PATH | select(. == VALUE)`: the path and the
    value Argo CD leaves out of the comparison."""
    match = _SELECT.fullmatch(expression)
    assert match, f"not a form this replay understands: {expression}"
    steps = tuple(a or b for a, b in _STEP.findall(match["path"]))
    return steps, json.loads(match["value"])


def ignored(application: dict[str, Any]) -> dict[str, list[tuple[tuple[str, ...], Any]]]:
    """Per kind, what Argo CD leaves out of the diff: (path, None) for a jsonPointer (any
    value), (path, value) for a jqPathExpression that selects one value."""
    spec = application["spec"]
    spec = spec.get("template", {}).get("spec", spec)  # ApplicationSet or Application
    options = spec["syncPolicy"]["syncOptions"]
    assert "RespectIgnoreDifferences=true" in options  # else a sync reverts the edit anyway
    rules: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
    for rule in spec["ignoreDifferences"]:
        found = rules.setdefault(rule["kind"], [])
        for pointer in rule.get("jsonPointers", []):
            steps = tuple(p.replace("~1", "/").replace("~0", "~")
                          for p in pointer.strip("/").split("/"))
            found.append((steps, ANY))
        found += [_rule(e) for e in rule.get("jqPathExpressions", [])]
    return rules


ANY = object()


def normalized(obj: dict[str, Any], rules: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    """`obj` as Argo CD compares it: each ignored path removed (a jq rule only where the value
    is the one it selects), on the live and the desired object alike."""
    result = copy.deepcopy(obj)
    for steps, value in rules:
        parent: Any = result
        for step in steps[:-1]:
            parent = parent.get(step) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and steps[-1] in parent and \
                (value is ANY or parent[steps[-1]] == value):
            del parent[steps[-1]]
    return result


def argo_drift(rules: dict[str, list[tuple[tuple[str, ...], Any]]], before: dict[str, Any],
               after: dict[str, Any]) -> set[str]:
    """What Argo CD still sees as changed after an edit, given the Application's rules."""
    kind_rules = rules.get(before["kind"], [])
    return changed_pointers(normalized(before, kind_rules), normalized(after, kind_rules))


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
        assert argo_drift(rules, obj, legacy_edit(obj)) == set(), obj["kind"]


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
    # the form shows the route, token auth, env and args the object has and writes them back
    # (k8s.ts assembleNIMService): env as {name, value}, without valueFrom until PR #9726
    spec_annotations = spec.setdefault("annotations", {})
    spec_annotations[AUTH] = "true" if spec_annotations.get(AUTH) == "true" else "false"
    if spec.get("env"):
        spec["env"] = [{"name": e["name"], "value": e.get("value", "")} for e in spec["env"]]
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
        assert argo_drift(rules, obj, nimservice_edit(obj, key)) == set()


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
        edited = EDITS[flow](obj)
        if obj["metadata"]["name"] in KNOWN_WIZARD_DRIFT and flow != "legacy-modal":
            continue  # autoscaling bounds and secretKeyRef env: test_serving_options_...
        assert argo_drift(rules, obj, edited) == set(), (flow, obj["kind"])
        if target == "current" and obj["kind"] == "ServingRuntime":
            drift = changed_pointers(obj, edited)
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


# The serving options of issue #28: a deployment with an external route, token auth for two
# service accounts, a literal env variable and args, on both backends.
SERVING: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
    "metadata": {"name": "edits"},
    "spec": {
        "secrets": {"provider": "external-secrets",
                    "externalSecrets": {"storeRef": {"name": "keys"}}},
        "projects": [{"name": "team", "deployments": [
            {"name": backend, "backend": backend, "model": "llama-3.1-8b-instruct",
             "tag": "1.15.5", "replicas": 2, "externalRoute": True,
             "tokenAuth": {"serviceAccounts": ["ci", "web"]},
             "env": [{"name": "NIM_MAX_MODEL_LEN", "value": "8192"}],
             "args": ["--max-num-seqs", "64"]}
            for backend in ("kserve", "nim-operator")]}]}}
SERVING_EDITS = {**EDITS, "nimservice": lambda obj: nimservice_edit(obj, ACCOUNT_KEY_SECRET)}
KNOWN_WIZARD_DRIFT = {"llama-kserve"}  # examples/serving-options: see the test below


def _render_config(tmp_path: Path, config: dict[str, Any], target: str) -> list[dict[str, Any]]:
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["render", str(path), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    return yamlio.load_all(result.out, "render")


def _value_at(obj: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        obj = obj.get(part.replace("~1", "/").replace("~0", "~")) \
            if isinstance(obj, dict) else None
    return obj


@pytest.mark.parametrize("flow", sorted(SERVING_EDITS))
@pytest.mark.parametrize("target", ["current", "redesign"])
def test_an_edit_of_a_routed_token_deployment_changes_no_field_git_sets(
        tmp_path: Path, target: str, flow: str) -> None:
    """Route, token auth, env and args are rendered as every form writes them back: an edit
    saved unchanged only adds what the render leaves out, and Argo CD sees no drift."""
    objects = _render_config(tmp_path, SERVING, target)
    kinds = {"nimservice": ("NIMService",)}.get(flow, ("ServingRuntime", "InferenceService"))
    edited = [o for o in objects if o["kind"] in kinds]
    assert edited
    apps = [ignored(yamlio.load_one(p.read_text("utf-8"), str(p))) for p in ARGO_EXAMPLES]
    for obj in edited:
        after = SERVING_EDITS[flow](obj)
        changed = {p for p in changed_pointers(obj, after) if _value_at(obj, p) is not None}
        if flow == "nimservice":  # the Account's Secrets, as for every NIMService (above)
            changed -= {"/spec/authSecret", "/spec/image/pullSecrets"}
        if target == "current" or obj["kind"] != "ServingRuntime":  # redesign: its Template
            assert changed == set(), (flow, obj["kind"], changed)     # annotations, ignored
        for rules in apps:
            drift = argo_drift(rules, obj, after) - {"/spec/authSecret", "/spec/image/pullSecrets"}
            assert drift == set(), (flow, obj["kind"], drift)
    labels = {o["kind"]: o["metadata"].get("labels", {}) for o in edited}
    if flow != "nimservice":  # the replay saw the options it keeps
        assert labels["InferenceService"]["networking.kserve.io/visibility"] == "exposed"


def test_the_wizard_loses_autoscaling_bounds_and_secret_env() -> None:
    """Two options the wizard at odh-dashboard b9d09633 cannot show: its replica field sets
    minReplicas = maxReplicas (hardware.ts applyReplicas, from extractReplicas' minReplicas),
    and its env field keeps name and value only (extractEnvironmentVariables), so a saved edit
    of examples/serving-options' llama-kserve changes maxReplicas and the secretKeyRef env.
    Argo CD sees both and self-heal sets them back (docs/backend-kserve.md). With PR #9726
    (open: env from a Secret in the wizard) only maxReplicas would change."""
    result = run_cli(["render", str(EXAMPLES / "serving-options/nim-gitops.yaml"), "-o", "-"])
    assert result.code == 0, result.err
    isvc = next(o for o in yamlio.load_all(result.out, "render")
                if o["kind"] == "InferenceService" and o["metadata"]["name"] == "llama-kserve")
    assert changed_pointers(isvc, wizard_inference_service(isvc)) == {
        "/spec/predictor/maxReplicas", "/spec/predictor/model/env"}
    assert changed_pointers(isvc, wizard_inference_service(isvc, keep_value_from=True)) == {
        "/spec/predictor/maxReplicas"}
    for example in ARGO_EXAMPLES:
        rules = ignored(yamlio.load_one(example.read_text("utf-8"), str(example)))
        assert argo_drift(rules, isvc, wizard_inference_service(isvc)) == {
            "/spec/predictor/maxReplicas", "/spec/predictor/model/env"}


def test_argo_cd_still_syncs_env_args_and_token_auth_set_in_git() -> None:
    """The shipped rules ignore only the empty values the forms write: an env, args or token
    auth that Git sets and the cluster lacks is drift that Argo CD syncs."""
    rules = ignored(yamlio.load_one(ARGO_EXAMPLES[0].read_text("utf-8"), str(ARGO_EXAMPLES[0])))
    desired = {"kind": "InferenceService",
               "metadata": {"annotations": {AUTH: "true"}},
               "spec": {"predictor": {"model": {"args": ["--x"], "env": [{"name": "A"}]}}}}
    live = {"kind": "InferenceService", "metadata": {"annotations": {AUTH: "false"}},
            "spec": {"predictor": {"model": {"args": [], "env": []}}}}
    assert argo_drift(rules, desired, live) == {
        "/metadata/annotations/security.opendatahub.io~1enable-auth",
        "/spec/predictor/model/args", "/spec/predictor/model/env"}
